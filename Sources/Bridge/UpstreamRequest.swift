import WebSocketCore

/// The request a bridged pair sends its backend, built from the client's: a fresh handshake of
/// the route's version (its own key, or hixie-76 keys and key3), the client's subprotocols,
/// Origin (or the route's), Cookie, Authorization and User-Agent, and who the client is
/// (`X-Forwarded-For`, `-Proto`, `-Host`, RFC 7239 `Forwarded`). Nothing else crosses: hop-by-hop
/// headers (RFC 9110 §7.6.1) and the client's own `Sec-WebSocket-*` belong to the client's leg.
public struct UpstreamRequest: Sendable {
    /// Headers copied from the client's request as they are.
    public static let passedThrough = ["Cookie", "Authorization", "User-Agent"]

    public var configuration: ClientHandshakeConfiguration

    /// A request of one's own (`passerelle client`), not relayed for anyone.
    public init(configuration: ClientHandshakeConfiguration) {
        self.configuration = configuration
    }

    /// - `peer`: the client's address (IP literal); `secure`: the client's leg runs over TLS;
    ///   `trustedProxies`: addresses whose own forwarding headers are kept and extended (from
    ///   anyone else they are dropped: a client could claim any address).
    public init(client request: HTTPRequestHead, version clientVersion: ProtocolVersion, peer: String, secure: Bool,
                target: RouteTarget, options: RouteOptions, trustedProxies: Set<String> = []) {
        let headers = request.headers
        var configuration = ClientHandshakeConfiguration(version: target.version, host: target.hostHeader, target: target.resource)
        configuration.secure = target.secure
        configuration.key3WithoutNewline = options.key3WithoutNewline
        // The backend's Location is checked for its host and resource, not its scheme: legacy
        // servers guess it (Protocol::WebSocket says wss:// whenever X-Forwarded-Proto is sent).
        configuration.acceptsEitherLocationScheme = true
        configuration.origin = options.origin ?? headers.first(clientVersion.originHeaderName) ?? headers.first("Origin")
        configuration.subprotocols = clientVersion.framing == .hixie
            ? headers.first(clientVersion == .hixie76 ? "Sec-WebSocket-Protocol" : "WebSocket-Protocol").map { [$0] } ?? []
            : headers.listElements("Sec-WebSocket-Protocol")
        var extra: [(String, String)] = []
        for name in Self.passedThrough {
            for value in headers.values(name) { extra.append((name, value)) }
        }
        let trusted = trustedProxies.contains(peer)
        let proto = secure ? "wss" : "ws"
        let host = headers.first("Host") ?? ""
        let inboundFor = trusted ? headers.values("X-Forwarded-For") : []
        extra.append(("X-Forwarded-For", (inboundFor + [peer]).joined(separator: ", ")))
        extra.append(("X-Forwarded-Proto", trusted ? headers.first("X-Forwarded-Proto") ?? proto : proto))
        extra.append(("X-Forwarded-Host", trusted ? headers.first("X-Forwarded-Host") ?? host : host))
        // RFC 7239 §4: one element per proxy; an IPv6 address is quoted and bracketed (§6).
        let node = peer.contains(":") ? "\"[\(peer)]\"" : peer
        let ours = "for=\(node);proto=\(proto)" + (host.isEmpty ? "" : ";host=\(Self.quotedIfNeeded(host))")
        extra.append(("Forwarded", ((trusted ? headers.values("Forwarded") : []) + [ours]).joined(separator: ", ")))
        configuration.extraHeaders = extra
        self.configuration = configuration
    }

    /// RFC 7239 §4: a value that is not a token (a `host:port` has a colon) is a quoted string.
    private static func quotedIfNeeded(_ value: String) -> String {
        value.allSatisfy { $0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0) } ? value : "\"\(value)\""
    }
}

/// Why a backend could not be reached through a route, and what an RFC 6455 client is told (a
/// hixie client, which sees only that the connection failed, has it closed).
public enum UpstreamFailure: Hashable, Sendable {
    /// No TCP connection (refused, no route to the host, name not found).
    case unreachable(String)
    /// No complete answer within the route's handshake timeout.
    case timedOut
    /// The backend answered with an HTTP status instead of upgrading.
    case refused(status: Int)
    /// The backend's answer was not a valid upgrade (bad `Sec-WebSocket-Accept`, bad MD5, …).
    case invalidAnswer(WebSocketError)

    /// A short text for logs and the refusal's body.
    public var reason: String {
        switch self {
        case .unreachable(let why): return "upstream unreachable: \(why)"
        case .timedOut: return "upstream did not answer in time"
        case .refused(let status): return "upstream refused the upgrade with \(status)"
        case .invalidAnswer(let error): return "upstream answered an invalid upgrade: \(error.reason)"
        }
    }

    /// The kind, as metrics count it.
    public var kind: String {
        switch self {
        case .unreachable: return "unreachable"
        case .timedOut: return "timeout"
        case .refused: return "refused"
        case .invalidAnswer: return "invalid_answer"
        }
    }

    /// RFC 9110 §15.6: 502 for an invalid answer, 503 when unreachable, 504 when slow; a
    /// backend's own refusal (401, 403, 404, 503…) is passed on as it is.
    public var downstreamStatus: Int {
        switch self {
        case .unreachable: return 503
        case .timedOut: return 504
        case .refused(let status) where (400...599).contains(status): return status
        case .refused, .invalidAnswer: return 502
        }
    }
}
