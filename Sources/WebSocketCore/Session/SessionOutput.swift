/// Everything one call into a session produced: how the opening handshake ended (on the call
/// that ended it), then what the open connection produced — its events, the bytes for the peer
/// (a handshake answer first), and whether the transport should now be closed.
public struct SessionOutput {
    public var handshake: HandshakeEvent?
    public var connection: ConnectionOutput

    public init(handshake: HandshakeEvent? = nil, connection: ConnectionOutput = ConnectionOutput()) {
        self.handshake = handshake
        self.connection = connection
    }

    public var events: ConnectionEvents { connection.events }
    public var outbound: [UInt8] { connection.outbound }
    public var closeTransport: Bool { connection.closeTransport }

    /// `ConnectionOutput.forEachInOrder`: the events with the core's answers placed among them.
    public func forEachInOrder(event: (ConnectionEvent) -> Void, answer: (ArraySlice<UInt8>) -> Void) {
        connection.forEachInOrder(event: event, answer: answer)
    }
}

/// How an opening handshake ended.
public enum HandshakeEvent {
    /// Server: a valid upgrade request, answered by nothing yet — the shell calls `accept()` or
    /// `reject(…)` (a router, a policy, a bridge waiting for its backend decide in between).
    case request(AcceptedHandshake)
    /// Server: a plain HTTP request (no `Upgrade: websocket`), for the shell to serve; the
    /// session is closed.
    case plainHTTP(HTTPRequestHead, leftover: [UInt8])
    /// Client: the server's answer was checked and the connection is open.
    case opened(AcceptedClientHandshake)
    /// Either side: the handshake failed. A server's answer (4xx/5xx) is in `outbound`; a
    /// client has the server's response head when one was read (a refusal's status).
    case failed(WebSocketError, response: HTTPResponseHead?)
}
