/// RFC 6455 §5.2 opcodes. Kept as a raw 4-bit value so reserved opcodes can be parsed, reported
/// and, by the conformance runner, sent on purpose.
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }
    public init(_ rawValue: UInt8) { self.init(rawValue: rawValue) }

    public static let continuation = Opcode(0x0)
    public static let text = Opcode(0x1)
    public static let binary = Opcode(0x2)
    public static let close = Opcode(0x8)
    public static let ping = Opcode(0x9)
    public static let pong = Opcode(0xA)

    /// §5.5: opcodes with the high bit set are control frames.
    public var isControl: Bool { rawValue & 0x08 != 0 }
    /// 0x3–0x7 and 0xB–0xF are reserved (§5.2).
    public var isReserved: Bool { !(rawValue <= 0x2 || (0x8...0xA).contains(rawValue)) }

    public var description: String {
        switch rawValue {
        case 0x0: return "continuation"
        case 0x1: return "text"
        case 0x2: return "binary"
        case 0x8: return "close"
        case 0x9: return "ping"
        case 0xA: return "pong"
        default: return "reserved-0x\(String(rawValue, radix: 16))"
        }
    }
}
