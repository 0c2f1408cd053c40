/// RFC 6455 §5.3: payload byte i is XORed with masking-key byte (i mod 4).
public enum Masking {
    /// Applies (or removes: XOR is its own inverse) the mask to bytes that start `offset` bytes
    /// into the payload.
    public static func apply(key: UInt32, to bytes: inout [UInt8], offset: Int = 0) {
        bytes.withUnsafeMutableBufferPointer { apply(key: key, to: $0, offset: offset) }
    }

    /// The same, on bytes in place (a payload inside a frame being built).
    public static func apply(key: UInt32, to buffer: UnsafeMutableBufferPointer<UInt8>, offset: Int = 0) {
        guard let base = buffer.baseAddress else { return }
        xor(UnsafePointer(base), into: base, count: buffer.count, key: key, offset: offset)
    }

    /// The bytes of `source` with the mask applied, in one pass: the copy out of the read buffer
    /// and the unmasking are the same loop (the parser's payload path).
    public static func applied(key: UInt32, to source: UnsafeBufferPointer<UInt8>, offset: Int = 0) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: source.count) { destination, initialized in
            if let from = source.baseAddress, let to = destination.baseAddress {
                xor(from, into: to, count: source.count, key: key, offset: offset)
            }
            initialized = source.count
        }
    }

    /// Unmasks a whole payload where it lies and returns whether every byte is ASCII, in the same
    /// pass: a text frame of ASCII (most chat JSON) is then read once — unmasked and known valid
    /// UTF-8 (RFC 3629: bytes 00–7F stand for themselves) — instead of once per step.
    static func unmaskInPlace(key: UInt32, _ bytes: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { w in
            for j in 0..<8 { w[j] = UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(j & 3))) }
        }
        var highBits: UInt64 = 0
        var i = 0
        while count - i >= 8 {
            let unmasked = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ word
            base.storeBytes(of: unmasked, toByteOffset: i, as: UInt64.self)
            highBits |= unmasked
            i += 8
        }
        let tail = base.assumingMemoryBound(to: UInt8.self)
        while i < count {
            tail[i] ^= UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(i & 3)))
            highBits |= UInt64(tail[i])
            i += 1
        }
        return highBits & 0x8080_8080_8080_8080 == 0
    }

    /// `destination[i] = source[i] ^ key[(offset + i) mod 4]`; `source` may be `destination`.
    private static func xor(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>, count: Int,
                            key: UInt32, offset: Int) {
        let keyBytes = (UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF))
        func keyByte(_ index: Int) -> UInt8 {
            switch index & 3 {
            case 0: return keyBytes.0
            case 1: return keyBytes.1
            case 2: return keyBytes.2
            default: return keyBytes.3
            }
        }
        var i = 0
        // Up to the first byte that takes key byte 0, one at a time…
        while i < count && (offset + i) & 3 != 0 {
            destination[i] = source[i] ^ keyByte(offset + i)
            i += 1
        }
        // …then 8 bytes at a time (8 is a multiple of 4, so the key stays aligned)…
        if count - i >= 8 {
            var word: UInt64 = 0
            withUnsafeMutableBytes(of: &word) { w in
                for j in 0..<8 { w[j] = keyByte(j) }
            }
            let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
            while count - i >= 8 {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ word, toByteOffset: i, as: UInt64.self)
                i += 8
            }
        }
        // …and the tail.
        while i < count {
            destination[i] = source[i] ^ keyByte(offset + i)
            i += 1
        }
    }
}
