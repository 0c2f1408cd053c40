/// A complete WebSocket message.
public enum Message: Hashable, Sendable {
    case text(String)
    case binary([UInt8])

    public var bytes: [UInt8] {
        switch self {
        case .text(let text): return Array(text.utf8)
        case .binary(let bytes): return bytes
        }
    }
}

/// What a connection reports after reading bytes.
public enum ConnectionEvent: Hashable, Sendable {
    case message(Message)
    case ping([UInt8])
    case pong([UInt8])
    /// The peer sent a close frame (RFC 6455; `code` nil when it carried none, §7.1.5) or the
    /// hixie-76 closing handshake (code and reason nil).
    case closeReceived(code: CloseCode?, reason: String)
    /// This endpoint failed the connection (§7.1.7); the close frame is already in `outbound`.
    case failed(WebSocketError)
    /// The transport ended without a closing handshake (`receiveEOF`): 1006 for RFC 6455
    /// (§7.1.5, never sent on the wire) and hixie-76; 1000 for hixie-75, whose close is the end
    /// of the transport.
    case transportEnded(CloseCode)
}

/// Where a connection is in its lifetime (RFC 6455 §4.1 / §7).
public enum ConnectionState: String, Hashable, Sendable {
    /// Messages flow both ways.
    case open
    /// This endpoint sent its close; it still reads until the peer's close.
    case closing
    /// The peer sent its close and this endpoint holds its answer (`defersCloseReply`: a relay
    /// waiting for its other leg): nothing more is read, messages may still be sent (RFC 6455
    /// §5.5.1 lets an endpoint send its current message first), then `close` sends the answer.
    case peerClosed
    /// Both closes exchanged (or the connection failed): nothing more is read or sent.
    case closed
}

/// Limits on what a peer may make this endpoint hold.
public struct ConnectionLimits: Hashable, Sendable {
    /// Largest frame payload accepted (RFC 6455), checked on the header before the payload is read.
    public var maxFrameSize: Int
    /// Largest message, counted after inflation (RFC 6455 and hixie frames alike).
    public var maxMessageSize: Int

    /// 16 MiB each: large enough for the 16 MiB echo round-trips of the test suite, small enough
    /// that one peer cannot take a large share of memory.
    public init(maxFrameSize: Int = 16 << 20, maxMessageSize: Int = 16 << 20) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
    }
}
