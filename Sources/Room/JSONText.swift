/// A JSON value as the room writes it (RFC 8259): only the shapes its messages use.
indirect enum JSONValue {
    case string(String)
    case unsigned(UInt64)
    case integer(Int)
    case bool(Bool)
    /// Members are written with their keys sorted, as `JSONSerialization`'s `.sortedKeys` does.
    case object([(key: String, value: JSONValue)])
}

/// Writes the room's outbound JSON directly — byte for byte what `JSONSerialization` writes with
/// `.sortedKeys` and `.withoutEscapingSlashes` (ChatEncodingTests compares the two), without
/// bridging every value through `Any`, which dominates the gateway's CPU in a room where every
/// member talks (each line is encoded once per dialect; figures in docs/benchmarks.md).
enum JSONText {
    static func encode(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        write(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func write(_ value: JSONValue, into bytes: inout [UInt8]) {
        switch value {
        case .string(let text):
            write(text, into: &bytes)
        case .unsigned(let number):
            bytes.append(contentsOf: String(number).utf8)
        case .integer(let number):
            bytes.append(contentsOf: String(number).utf8)
        case .bool(let flag):
            bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(member.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                write(member.value, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// RFC 8259 §7: the quotation mark, the reverse solidus and U+0000…U+001F must be escaped;
    /// everything else (the solidus, non-ASCII) is written as its UTF-8 bytes.
    private static func write(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
