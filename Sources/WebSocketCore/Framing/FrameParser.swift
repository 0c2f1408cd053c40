/// Incremental RFC 6455 frame parser (§5.2): bytes in, then a header, payload chunks (unmasked)
/// and an end marker out, as soon as each is available.
///
/// Payloads stream through rather than being buffered, so a receiver can check a header's limits
/// before its payload arrives and validate text as it comes (fail fast, §8.1). The parser knows
/// only the wire layout; which headers are legal is `FrameRules`' job.
public struct FrameParser: Sendable {
    public enum Event: Hashable, Sendable {
        case header(FrameHeader)
        /// Unmasked payload bytes, in order; several chunks may make one payload.
        case payload([UInt8])
        case frameEnd
    }

    private enum State: Hashable, Sendable {
        case header
        case payload(maskingKey: UInt32?, remaining: UInt64, offset: Int)
    }

    private var state: State = .header

    public init() {}

    /// The next event, or nil when `buffer` holds too few bytes for one.
    public mutating func next(_ buffer: inout ByteQueue) throws(WebSocketError) -> Event? {
        switch state {
        case .header:
            guard let header = try parseHeader(&buffer) else { return nil }
            state = .payload(maskingKey: header.maskingKey, remaining: header.payloadLength, offset: 0)
            return .header(header)
        case .payload(let key, let remaining, let offset):
            if remaining == 0 {
                state = .header
                return .frameEnd
            }
            guard !buffer.isEmpty else { return nil }
            let take = Int(min(remaining, UInt64(buffer.count)))
            let bytes = buffer.consume(take)
            let chunk = key.map { key in bytes.withUnsafeBufferPointer { Masking.applied(key: key, to: $0, offset: offset) } } ?? Array(bytes)
            state = .payload(maskingKey: key, remaining: remaining - UInt64(take), offset: offset + take)
            return .payload(chunk)
        }
    }

    /// The whole payload of the frame whose header `next` just returned, when all of it is in
    /// `buffer`: unmasked where it lies — `allASCII` found in the same pass — and lent to `body`,
    /// then consumed. The frame is then over (no `.frameEnd` follows). nil, changing nothing, when
    /// the payload is not all there yet or part of it was already returned.
    mutating func wholePayloadInPlace<R>(_ buffer: inout ByteQueue,
                                         _ body: (_ payload: UnsafeRawBufferPointer, _ allASCII: Bool?) -> R) -> R? {
        guard case .payload(let key, let remaining, let offset) = state, offset == 0, remaining <= UInt64(buffer.count) else { return nil }
        state = .header
        return buffer.consume(Int(remaining)) { payload in
            // Unmasked frames (what a client receives) are not read twice here: ASCII is unknown.
            let allASCII = key.map { Masking.unmaskInPlace(key: $0, payload) }
            return body(UnsafeRawBufferPointer(payload), allASCII)
        }
    }

    private func parseHeader(_ buffer: inout ByteQueue) throws(WebSocketError) -> FrameHeader? {
        guard buffer.count >= 2 else { return nil }
        let first = buffer[0], second = buffer[1]
        let masked = second & 0x80 != 0
        let shortLength = second & 0x7F
        let encoding: FrameHeader.LengthEncoding
        let lengthBytes: Int
        switch shortLength {
        case 126: encoding = .extended16; lengthBytes = 2
        case 127: encoding = .extended64; lengthBytes = 8
        default: encoding = .short; lengthBytes = 0
        }
        let headerLength = 2 + lengthBytes + (masked ? 4 : 0)
        guard buffer.count >= headerLength else { return nil }
        var length = UInt64(shortLength)
        if lengthBytes > 0 {
            length = 0
            for i in 0..<lengthBytes { length = length << 8 | UInt64(buffer[2 + i]) }
            // §5.2: "the most significant bit MUST be 0".
            if encoding == .extended64 && length & (1 << 63) != 0 { throw .lengthMostSignificantBitSet }
        }
        var key: UInt32?
        if masked {
            let at = 2 + lengthBytes
            key = UInt32(buffer[at]) << 24 | UInt32(buffer[at + 1]) << 16 | UInt32(buffer[at + 2]) << 8 | UInt32(buffer[at + 3])
        }
        buffer.consume(headerLength)
        return FrameHeader(fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0,
                           rsv3: first & 0x10 != 0, opcode: Opcode(first & 0x0F), maskingKey: key,
                           payloadLength: length, lengthEncoding: encoding)
    }
}
