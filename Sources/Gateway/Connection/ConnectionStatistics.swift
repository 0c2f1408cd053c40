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
}

/// Receives each connection's statistics when it closes. Called on the connection's event loop.
public typealias ConnectionObserver = @Sendable (ConnectionStatistics) -> Void
