/// The header of one RFC 6455 frame (§5.2), with every field as it was (or will be) on the wire,
/// legal or not: validation is `FrameRules`' job, so the capture decoder can show a bad frame and
/// the conformance runner can build one.
public struct FrameHeader: Hashable, Sendable {
    /// How the payload length was encoded (§5.2: 7 bits, 126 + 16 bits, 127 + 64 bits).
    public enum LengthEncoding: Hashable, Sendable { case short, extended16, extended64 }

    public var fin: Bool
    public var rsv1: Bool
    public var rsv2: Bool
    public var rsv3: Bool
    public var opcode: Opcode
    /// The 4 masking-key bytes, big-endian in one integer; nil for an unmasked frame.
    public var maskingKey: UInt32?
    public var payloadLength: UInt64
    public var lengthEncoding: LengthEncoding

    public init(fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false,
                opcode: Opcode, maskingKey: UInt32? = nil, payloadLength: UInt64,
                lengthEncoding: LengthEncoding? = nil) {
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
        self.lengthEncoding = lengthEncoding ?? Self.minimalEncoding(for: payloadLength)
    }

    public static func minimalEncoding(for length: UInt64) -> LengthEncoding {
        if length <= 125 { return .short }
        if length <= 0xFFFF { return .extended16 }
        return .extended64
    }

    /// §5.2: "the minimal number of bytes MUST be used to encode the length".
    public var isLengthMinimal: Bool { lengthEncoding == Self.minimalEncoding(for: payloadLength) }

    /// RSV1–3 as a 3-bit number (RSV1 = 4).
    public var rsvBits: UInt8 { (rsv1 ? 4 : 0) | (rsv2 ? 2 : 0) | (rsv3 ? 1 : 0) }

    public var headerLength: Int {
        let lengthBytes: Int
        switch lengthEncoding {
        case .short: lengthBytes = 0
        case .extended16: lengthBytes = 2
        case .extended64: lengthBytes = 8
        }
        return 2 + lengthBytes + (maskingKey == nil ? 0 : 4)
    }
}
