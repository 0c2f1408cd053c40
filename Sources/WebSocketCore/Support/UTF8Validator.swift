/// Incremental UTF-8 validation (RFC 3629 §4), fed chunk by chunk so a text message split across
/// frames — or across TCP reads inside one frame — fails at the first byte that can never become
/// valid ("fail fast", RFC 6455 §8.1), not when the message ends.
///
/// Rejects overlong forms, surrogates (U+D800–U+DFFF) and code points above U+10FFFF by narrowing
/// the range allowed for the first continuation byte.
public struct UTF8Validator: Sendable, Hashable {
    private var pending: UInt8 = 0      // continuation bytes still expected
    private var lower: UInt8 = 0x80     // allowed range of the next continuation byte
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when no multi-byte sequence is open: the text so far is complete, valid UTF-8.
    public var isComplete: Bool { pending == 0 }

    /// Feeds bytes; returns false as soon as a byte makes the sequence invalid.
    public mutating func feed<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        if let valid = bytes.withContiguousStorageIfAvailable({ feed(contiguous: $0) }) { return valid }
        for byte in bytes where !step(byte) { return false }
        return true
    }

    /// Contiguous bytes: outside a multi-byte sequence, ASCII (RFC 3629: bytes 00–7F stand for
    /// themselves) is skipped eight bytes at a time — chat JSON is mostly ASCII.
    private mutating func feed(contiguous buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let count = buffer.count
        var index = 0
        while index < count {
            if pending == 0 {
                while index + 8 <= count, raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
                if index == count { break }
            }
            guard step(base[index]) else { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    private mutating func step(_ byte: UInt8) -> Bool {
        if pending == 0 {
            if byte < 0x80 { return true }
            switch byte {
            case 0xC2...0xDF: pending = 1; lower = 0x80; upper = 0xBF
            case 0xE0: pending = 2; lower = 0xA0; upper = 0xBF          // no overlongs
            case 0xE1...0xEC, 0xEE, 0xEF: pending = 2; lower = 0x80; upper = 0xBF
            case 0xED: pending = 2; lower = 0x80; upper = 0x9F          // no surrogates
            case 0xF0: pending = 3; lower = 0x90; upper = 0xBF          // no overlongs
            case 0xF1...0xF3: pending = 3; lower = 0x80; upper = 0xBF
            case 0xF4: pending = 3; lower = 0x80; upper = 0x8F          // ≤ U+10FFFF
            default: return false                                       // 80–C1, F5–FF
            }
        } else {
            guard byte >= lower && byte <= upper else { return false }
            pending -= 1
            lower = 0x80
            upper = 0xBF
        }
        return true
    }

    /// Validates a whole buffer at once.
    public static func isValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isComplete
    }
}
