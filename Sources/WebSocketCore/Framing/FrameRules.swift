/// The header-level rules of RFC 6455 §5 for one receiving endpoint, in one place, so that the
/// gateway (fails the connection), the conformance runner (judges a server) and the capture
/// decoder (reports and keeps reading) apply the same rules.
public struct FrameRules: Hashable, Sendable {
    /// The endpoint that receives the frames.
    public var receiver: Role
    /// RSV1 belongs to permessage-deflate once it is negotiated (RFC 7692 §6).
    public var deflateNegotiated: Bool
    /// Frames with a longer payload are refused (1009) before their payload is read.
    public var maxFrameSize: Int

    public init(receiver: Role, deflateNegotiated: Bool = false, maxFrameSize: Int = ConnectionLimits().maxFrameSize) {
        self.receiver = receiver
        self.deflateNegotiated = deflateNegotiated
        self.maxFrameSize = maxFrameSize
    }

    /// Every rule the header breaks, most fundamental first (the first is what the connection
    /// fails with).
    public func violations(of header: FrameHeader) -> [WebSocketError] {
        var found: [WebSocketError] = []
        // §5.2: reserved opcodes must fail the connection.
        if header.opcode.isReserved { found.append(.reservedOpcode(header.opcode.rawValue)) }
        // §5.2: RSV bits must be 0 unless an extension defines them; RFC 7692 §6 defines RSV1,
        // for the first frame of a data message only (§6.1; control frames §6, continuation §6.1).
        if header.rsv2 || header.rsv3 || (header.rsv1 && !deflateNegotiated) {
            found.append(.reservedBitsSet(rsv: header.rsvBits))
        } else if header.rsv1 && header.opcode.isControl {
            found.append(.compressedControlFrame)
        } else if header.rsv1 && header.opcode == .continuation {
            found.append(.compressedContinuation)
        }
        // §5.5: control frames carry ≤ 125 bytes and are never fragmented.
        if header.opcode.isControl {
            if header.payloadLength > 125 { found.append(.controlFrameTooLong(Int(min(header.payloadLength, UInt64(Int.max))))) }
            if !header.fin { found.append(.fragmentedControlFrame) }
        }
        // §5.1: a server must fail on an unmasked frame, a client on a masked one.
        switch (receiver, header.maskingKey) {
        case (.server, nil): found.append(.unmaskedClientFrame)
        case (.client, .some): found.append(.maskedServerFrame)
        default: break
        }
        // §5.2: "the minimal number of bytes MUST be used to encode the length".
        if !header.isLengthMinimal { found.append(.nonMinimalLength) }
        if header.payloadLength > UInt64(maxFrameSize) { found.append(.frameTooLarge(limit: maxFrameSize)) }
        return found
    }
}
