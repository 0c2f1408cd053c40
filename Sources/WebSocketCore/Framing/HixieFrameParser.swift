/// Incremental parser of the hixie-75/76 framing (draft-hixie-thewebsocketprotocol-76 §5.3,
/// §4.2 for hixie-75):
///
///     type byte with the high bit clear:  type … bytes … 0xFF   (type 0x00 = UTF-8 text)
///     type byte with the high bit set:    type, length in 7-bit groups (high bit = more), bytes
///     0xFF 0x00 (hixie-76 only):          the closing handshake
///
/// Frames other than 0x00 text are read and discarded as the draft says. A frame that grows past
/// `maxFrameSize` without its 0xFF (or announces a longer length) is an error, so a peer that never
/// sends 0xFF cannot grow memory without bound.
public struct HixieFrameParser: Sendable {
    public enum Event: Hashable, Sendable {
        /// The bytes of a 0x00 … 0xFF frame, not yet checked as UTF-8.
        case text([UInt8])
        /// A frame the draft says to discard: its type byte and length.
        case discarded(type: UInt8, length: Int)
        /// 0xFF 0x00 (hixie-76).
        case closingHandshake
    }

    private enum State: Hashable, Sendable {
        case frameStart
        /// A length frame: the type and the length read so far.
        case length(type: UInt8, value: Int)
        case skipping(type: UInt8, total: Int, remaining: Int)
    }

    public let closingHandshakeEnabled: Bool
    public let maxFrameSize: Int
    private var state: State = .frameStart
    private var scanned = 0

    /// `closingHandshakeEnabled`: hixie-76 reads 0xFF 0x00 as the closing handshake; hixie-75 has none.
    public init(closingHandshakeEnabled: Bool, maxFrameSize: Int) {
        self.closingHandshakeEnabled = closingHandshakeEnabled
        self.maxFrameSize = maxFrameSize
    }

    /// The next event, or nil when `buffer` holds too few bytes for one.
    public mutating func next(_ buffer: inout ByteQueue) throws(WebSocketError) -> Event? {
        switch try find(&buffer) {
        case nil: return nil
        case .event(let event): return event
        case .text(let length):
            defer { buffer.consume(1) }   // the 0xFF
            return .text(Array(buffer.consume(length)))
        }
    }

    /// What `next(_:lendingText:)` read: an event, or a text frame it lent.
    enum Step {
        case event(Event)
        case textLent
    }

    /// The same, with a text frame's bytes lent to `readText` where they lie in `buffer` (valid
    /// only during the call) instead of copied into an event.
    mutating func next(_ buffer: inout ByteQueue, lendingText readText: (UnsafeRawBufferPointer) -> Void) throws(WebSocketError) -> Step? {
        switch try find(&buffer) {
        case nil: return nil
        case .event(let event): return .event(event)
        case .text(let length):
            buffer.consume(length) { readText(UnsafeRawBufferPointer($0)) }
            buffer.consume(1)   // the 0xFF
            return .textLent
        }
    }

    /// What `find` found: an event, or a text frame whose `length` bytes, then its 0xFF, now start
    /// the buffer (its type byte consumed) — for the caller to copy or to read in place.
    private enum Found {
        case event(Event)
        case text(length: Int)
    }

    private mutating func find(_ buffer: inout ByteQueue) throws(WebSocketError) -> Found? {
        while true {
            switch state {
            case .frameStart:
                guard !buffer.isEmpty else { return nil }
                let type = buffer[0]
                if type & 0x80 == 0 {
                    // Sentinel frame: everything up to the next 0xFF.
                    guard let end = buffer.firstIndex(of: 0xFF, from: max(1, scanned)) else {
                        scanned = buffer.count
                        if buffer.count - 1 > maxFrameSize { throw .hixieFrameTooLarge(limit: maxFrameSize) }
                        return nil
                    }
                    scanned = 0
                    if end - 1 > maxFrameSize { throw .hixieFrameTooLarge(limit: maxFrameSize) }
                    buffer.consume(1)
                    if type == 0x00 { return .text(length: end - 1) }
                    buffer.consume(end)   // the body and its 0xFF
                    return .event(.discarded(type: type, length: end - 1))
                }
                buffer.consume(1)
                state = .length(type: type, value: 0)
            case .length(let type, let value):
                guard !buffer.isEmpty else { return nil }
                let byte = buffer.consume(1).first!
                let length = value * 128 + Int(byte & 0x7F)
                if length > maxFrameSize { throw .hixieFrameTooLarge(limit: maxFrameSize) }
                if byte & 0x80 != 0 {
                    state = .length(type: type, value: length)
                    continue
                }
                if type == 0xFF && length == 0 && closingHandshakeEnabled {
                    state = .frameStart
                    return .event(.closingHandshake)
                }
                state = .skipping(type: type, total: length, remaining: length)
            case .skipping(let type, let total, let remaining):
                if remaining == 0 {
                    state = .frameStart
                    return .event(.discarded(type: type, length: total))
                }
                guard !buffer.isEmpty else { return nil }
                let take = min(remaining, buffer.count)
                buffer.consume(take)
                state = .skipping(type: type, total: total, remaining: remaining - take)
            }
        }
    }
}
