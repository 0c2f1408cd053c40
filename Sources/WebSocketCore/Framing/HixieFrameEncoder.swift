/// Serialises hixie frames (draft-hixie-thewebsocketprotocol-76 §5.3).
public enum HixieFrameEncoder {
    /// 0x00, the UTF-8 text, 0xFF. Valid UTF-8 never contains 0xFF, so no escaping is needed.
    public static func text(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        write(text, into: &bytes)
        return bytes
    }

    /// The same frame, written into `sink`.
    @inlinable
    public static func write(_ text: String, into sink: inout some FrameSink) {
        write(utf8: text.utf8, into: &sink)
    }

    /// The same frame from text already as UTF-8 (a received message lent in place).
    @inlinable
    public static func write(utf8: some Collection<UInt8>, into sink: inout some FrameSink) {
        sink.reserveFrameCapacity(utf8.count + 2)
        sink.writeFrameByte(0x00)
        sink.writeFramePayload(utf8)
        sink.writeFrameByte(0xFF)
    }

    /// The closing handshake (hixie-76 §5.3, "0xFF 0x00").
    public static let closingHandshake: [UInt8] = [0xFF, 0x00]

    /// A length-prefixed frame, as a sender of the draft era could emit (receivers discard it).
    public static func lengthFrame(type: UInt8, payload: [UInt8]) -> [UInt8] {
        var groups: [UInt8] = []
        var length = payload.count
        repeat {
            groups.insert(UInt8(length & 0x7F), at: 0)
            length >>= 7
        } while length > 0
        for i in 0..<(groups.count - 1) { groups[i] |= 0x80 }
        return [type | 0x80] + groups + payload
    }
}
