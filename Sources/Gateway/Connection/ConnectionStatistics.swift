import WebSocketCore

/// What one connection did, reported when it ends (logs, tests).
public struct ConnectionStatistics: Sendable, Hashable {
    public var id: Int
    public var peer: String
    public var path: String = ""
    public var version: ProtocolVersion?
    public var extensions: String?
    public var subprotocol: String?
    public var messagesIn = 0
    public var messagesOut = 0
    public var bytesIn = 0
    public var bytesOut = 0
    /// Why it ended: the protocol error that failed it, if any…
    public var failure: WebSocketError?
    /// …or the gateway's own limit or policy that refused or ended it.
    public var refusal: GatewayError?
    public var closeCode: CloseCode?

    public init(id: Int, peer: String) {
        self.id = id
        self.peer = peer
    }

    /// The handshake was answered with a 101: what was agreed.
    mutating func opened(_ accepted: AcceptedHandshake, subprotocol: String?) {
        version = accepted.version
        extensions = accepted.deflate?.response.description
        self.subprotocol = subprotocol
    }

    /// An event of the open connection: a message counted, or how the connection ends — the
    /// first cause that is known wins (a failure or refusal over the transport's end, §7.1.5).
    mutating func note(_ event: ConnectionEvent) {
        switch event {
        case .message: messagesIn += 1
        case .failed(let error):
            failure = error
            closeCode = error.closeCode
        case .closeReceived(let code, _): closeCode = code ?? .noStatusReceived   // RFC 6455 §7.1.5
        case .transportEnded(let code):
            if closeCode == nil, failure == nil, refusal == nil { closeCode = code }
        case .ping, .pong: break
        }
    }
}

/// Receives each connection's statistics when it closes. Called on the connection's event loop.
public typealias ConnectionObserver = @Sendable (ConnectionStatistics) -> Void
