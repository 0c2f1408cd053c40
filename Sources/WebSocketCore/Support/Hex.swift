/// Bytes as lower-case hex and back: the one spelling used by fixtures, conformance cases, wire
/// logs and the capture decoder.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `81 05 48 65` (or, with `separator: ""`, `81054865`).
    public static func encode(_ bytes: some Sequence<UInt8>, separator: String = " ") -> String {
        var text: [UInt8] = []
        let gap = Array(separator.utf8)
        for byte in bytes {
            if !text.isEmpty { text += gap }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Hex digits in pairs, white space anywhere ignored; nil for an odd count or a non-digit.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for char in text.utf8 where !(char == 0x20 || char == 0x0A || char == 0x09 || char == 0x0D) {
            guard let value = nibble(char) else { return nil }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return high == nil ? bytes : nil
    }

    /// One ASCII hex digit's value, either case.
    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case 0x30...0x39: return char &- 0x30
        case 0x61...0x66: return char &- 0x61 &+ 10
        case 0x41...0x46: return char &- 0x41 &+ 10
        default: return nil
        }
    }
}
