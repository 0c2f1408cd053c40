import Bridge
import Cluster
import WebSocketCore

/// Everything the live gateway needs to know, with embedded defaults (no external service).
/// Every limit is explicit here and a flag of `passerelle serve`.
public struct GatewayConfiguration: Sendable {
    public var host: String
    /// 11345: the tutorial's port.
    public var port: Int
    public var handshake: ServerHandshakeConfiguration
    public var limits: ConnectionLimits
    /// A client that has not finished its handshake by then — hixie-76 key3 included — is
    /// dropped with 408 (slowloris, a hixie client that never sends key3).
    public var handshakeTimeoutSeconds: Double
    /// RFC 6455 members are pinged after this long without traffic (0 = never).
    public var pingIntervalSeconds: Double
    /// RFC 6455 members silent this long (no pong either) are closed with 1001 (0 = never).
    public var idleTimeoutSeconds: Double
    /// hixie members cannot answer pings; they are closed after this long without traffic
    /// (0 = never, the default: a TV may sit quietly in the room for hours).
    public var hixieIdleTimeoutSeconds: Double
    /// The three delays above as the core's keepalive rule.
    public var keepalive: KeepalivePolicy {
        KeepalivePolicy(pingAfter: pingIntervalSeconds, closeAfter: idleTimeoutSeconds, hixieCloseAfter: hixieIdleTimeoutSeconds)
    }
    /// After this endpoint sends its close, how long the peer has to answer before TCP is dropped.
    public var closeTimeoutSeconds: Double
    /// Bytes queued for one member (written, not yet taken by its socket) before it is closed
    /// as a slow consumer (1008).
    public var maxQueuedBytesPerMember: Int
    /// Open TCP connections; beyond, new ones get 503.
    public var maxConnections: Int
    /// Open TCP connections from one IP address; beyond, new ones from it get 429. Generous by
    /// default: a venue's kiosks or a household's TVs share one address behind NAT.
    public var maxConnectionsPerAddress: Int = 1_000
    /// Bytes queued for all members together; past it, a member holding more than an equal share
    /// is closed as a slow consumer (1008). Bounds many slow members that each stay under
    /// `maxQueuedBytesPerMember`.
    public var maxBufferedBytesTotal: Int = 256 << 20
    /// On SIGINT/SIGTERM, how long members get to complete the closing handshake.
    public var shutdownGraceSeconds: Double
    /// Upgrade paths and what each does.
    public var routes: [String: Endpoint]
    /// Paths relayed to backends (`--route`, docs/bridge.md); they take precedence over `routes`.
    public var bridges: [String: BridgeRoute] = [:]
    /// Seconds a backend has to accept a bridged pair's handshake (504 to the client beyond).
    public var upstreamTimeoutSeconds: Double = 10
    /// How often every route's upstreams are checked (a TCP connection; `UpstreamHealth`); 0 = never.
    public var upstreamHealthIntervalSeconds: Double = 10
    /// Bytes relayed to one leg of a bridged pair and not yet taken by its socket, past which
    /// the other leg is not read (resumed at half).
    public var bridgeQueueBytes: Int = 1 << 20
    /// The upstream legs' keepalive: RFC 6455 backends are pinged after `pingIntervalSeconds` of
    /// silence and closed after `idleTimeoutSeconds`; hixie backends (no ping) closed after
    /// `upstreamHixieIdleTimeoutSeconds` (0 = never).
    public var upstreamHixieIdleTimeoutSeconds: Double = 0
    public var upstreamKeepalive: KeepalivePolicy {
        KeepalivePolicy(pingAfter: pingIntervalSeconds, closeAfter: idleTimeoutSeconds, hixieCloseAfter: upstreamHixieIdleTimeoutSeconds)
    }
    /// PEM file of the certificate authorities `wss://` upstreams are verified against (nil: the
    /// system's).
    public var upstreamCAFile: String?
    /// Addresses whose own X-Forwarded-* and Forwarded headers a route keeps and extends (from
    /// anyone else they are replaced: a client could claim any address).
    public var trustedProxies: Set<String> = []
    /// When set, each connection's traffic is written to `DIR/passerelle-<time>-<id>.pcapng`
    /// (readable by tshark and `passerelle decode`), so a misbehaving device can be captured
    /// without tcpdump.
    public var recordDirectory: String?
    /// Log every received message's body (first 200 bytes). Off by default: logs carry ids,
    /// addresses, versions, codes and counts, never what members said.
    public var logPayloads = false
    /// How often the gateway checks whether many connections have gone since the last check and,
    /// if so, returns the freed heap to the system (`HeapTrimmer`; 0 = never).
    public var heapTrimIntervalSeconds: Double = 5
    /// When set, TLS on the port (`wss://`, `https://`); the handshake's `secure` follows it.
    public var tls: TLSSettings?
    /// When set, the room is shared with every instance on the same PostgreSQL database
    /// (`--cluster postgres://…`); without it the room lives in this process only.
    public var cluster: ClusterSettings?

    /// What a WebSocket path leads to.
    public enum Endpoint: String, Sendable {
        /// The chat room (the tutorial's protocol).
        case room
        /// Every message is sent back unchanged (text stays text, binary stays binary).
        case echo
        /// Relayed to a backend: a path of `bridges`, not of `routes`.
        case bridge
    }

    /// `/serveur.php` is the tutorial's URL; `/` and `/chat` are the same room.
    public static let defaultRoutes: [String: Endpoint] = ["/": .room, "/serveur.php": .room, "/chat": .room, "/echo": .echo]

    public init(host: String = "127.0.0.1", port: Int = 11345,
                handshake: ServerHandshakeConfiguration = GatewayConfiguration.defaultHandshake,
                limits: ConnectionLimits = ConnectionLimits(), handshakeTimeoutSeconds: Double = 10,
                pingIntervalSeconds: Double = 30, idleTimeoutSeconds: Double = 75, hixieIdleTimeoutSeconds: Double = 0,
                closeTimeoutSeconds: Double = 5, maxQueuedBytesPerMember: Int = 4 << 20, maxConnections: Int = 10_000,
                shutdownGraceSeconds: Double = 2, routes: [String: Endpoint] = GatewayConfiguration.defaultRoutes) {
        self.host = host
        self.port = port
        self.handshake = handshake
        self.limits = limits
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
        self.pingIntervalSeconds = pingIntervalSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.hixieIdleTimeoutSeconds = hixieIdleTimeoutSeconds
        self.closeTimeoutSeconds = closeTimeoutSeconds
        self.maxQueuedBytesPerMember = maxQueuedBytesPerMember
        self.maxConnections = maxConnections
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.routes = routes
    }

    /// Every version, permessage-deflate on, any Origin (the tutorial's page sends `null`), and
    /// the room's rich dialect as the one subprotocol.
    ///
    /// Deflate answers `server_no_context_takeover` (RFC 7692 §7.1.1.1 lets a server add it to any
    /// offer; every client must honour it): each room line is then compressed once for all deflate
    /// members and no compressor is kept per member (docs/memory.md has the bytes per member) — at
    /// the price of ratio on small, similar lines.
    /// `--deflate-context-takeover` restores per-member context.
    public static let defaultHandshake = ServerHandshakeConfiguration(subprotocols: ["passerelle.chat.v1"],
                                                                       deflate: defaultDeflate)
    ///
    /// zlib level 1 (`--deflate-level`): on chat JSON it compresses about 1.5× faster than the
    /// default level 6 for a few percent of size (2 KB chat document: 124 vs 115 bytes).
    /// memLevel 6 (`--deflate-memory-level`): a 16 KiB hash instead of 64 KiB, which zlib clears on
    /// every reset — once per message without context takeover — and 96 KB less per compressor
    /// with it; chat lines are far shorter than the hash covers.
    public static let defaultDeflate = DeflateConfiguration(ownNoContextTakeover: true, memoryLevel: 6, compressionLevel: 1)
    /// `--no-legacy`: the masked framings only (hixie-75/76 get 426, RFC 6455 §4.4).
    public static let modernVersions: Set<ProtocolVersion> = [.rfc6455, .hybi08, .hybi07]
}
