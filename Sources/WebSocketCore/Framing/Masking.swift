/// RFC 6455 §5.3: payload byte i is XORed with masking-key byte (i mod 4).
public enum Masking {
    /// Applies (or removes: XOR is its own inverse) the mask to bytes that start `offset` bytes
    /// into the payload.
    public static func apply(key: UInt32, to bytes: inout [UInt8], offset: Int = 0) {
        let keyBytes: [UInt8] = [UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)]
        bytes.withUnsafeMutableBufferPointer { buffer in
            let count = buffer.count
            var i = 0
            // Up to the first byte that takes key byte 0, one at a time…
            while i < count && (offset + i) & 3 != 0 {
                buffer[i] ^= keyBytes[(offset + i) & 3]
                i += 1
            }
            // …then 8 bytes at a time (8 is a multiple of 4, so the key stays aligned)…
            if count - i >= 8 {
                var word: UInt64 = 0
                withUnsafeMutableBytes(of: &word) { w in
                    for j in 0..<8 { w[j] = keyBytes[j & 3] }
                }
                let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
                while count - i >= 8 {
                    let value = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ word
                    raw.storeBytes(of: value, toByteOffset: i, as: UInt64.self)
                    i += 8
                }
            }
            // …and the tail.
            while i < count {
                buffer[i] ^= keyBytes[(offset + i) & 3]
                i += 1
            }
        }
    }
}
