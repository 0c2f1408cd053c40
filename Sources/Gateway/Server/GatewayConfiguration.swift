import WebSocketCore

/// Everything the live gateway needs to know, with embedded defaults (no external service).
public struct GatewayConfiguration: Sendable {
    public var host: String
    /// 11345: the tutorial's port.
    public var port: Int
    public var handshake: ServerHandshakeConfiguration
    public var limits: ConnectionLimits
    /// A client that has not finished its handshake by then is dropped (slowloris).
    public var handshakeTimeoutSeconds: Double
    /// Upgrade paths and what each does.
    public var routes: [String: Endpoint]

    /// What a WebSocket path leads to.
    public enum Endpoint: String, Sendable {
        /// Every message is sent back unchanged (text stays text, binary stays binary).
        case echo
    }

    public init(host: String = "127.0.0.1", port: Int = 11345,
                handshake: ServerHandshakeConfiguration = ServerHandshakeConfiguration(),
                limits: ConnectionLimits = ConnectionLimits(), handshakeTimeoutSeconds: Double = 10,
                routes: [String: Endpoint] = ["/echo": .echo]) {
        self.host = host
        self.port = port
        self.handshake = handshake
        self.limits = limits
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
        self.routes = routes
    }
}
