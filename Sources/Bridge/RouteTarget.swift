import WebSocketCore

/// Where a route relays to, from its URL: the scheme picks the upstream's version and transport.
///
/// | scheme | upstream |
/// |---|---|
/// | `ws://`, `wss://` | RFC 6455 (version 13) |
/// | `hixie76+ws://`, `hixie76+wss://` | draft-hixie-76 |
/// | `hixie75+ws://` | draft-hixie-75 (it predates TLS deployments: no `+wss`) |
public struct RouteTarget: Hashable, Sendable, CustomStringConvertible {
    public var version: ProtocolVersion
    public var secure: Bool
    public var host: String
    public var port: Int
    /// The request target sent upstream: path and query, `/` at least.
    public var resource: String

    public enum ParseError: Error, Hashable, CustomStringConvertible {
        case unsupportedScheme(String)
        case missingHost(String)
        case badPort(String)

        public var description: String {
            switch self {
            case .unsupportedScheme(let url):
                return "\(url): the scheme must be ws, wss, hixie76+ws, hixie76+wss or hixie75+ws"
            case .missingHost(let url): return "\(url): no host"
            case .badPort(let url): return "\(url): the port must be 1–65535"
            }
        }
    }

    private static let schemes: [String: (ProtocolVersion, Bool)] = [
        "ws": (.rfc6455, false), "wss": (.rfc6455, true),
        "hixie76+ws": (.hixie76, false), "hixie76+wss": (.hixie76, true),
        "hixie75+ws": (.hixie75, false),
    ]

    public init(url: String) throws(ParseError) {
        guard let separator = url.range(of: "://"), let (version, secure) = Self.schemes[url[..<separator.lowerBound].lowercased()] else {
            throw .unsupportedScheme(url)
        }
        self.version = version
        self.secure = secure
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let target = rest.dropFirst(authority.count)
        resource = target.isEmpty ? "/" : (target.first == "?" ? "/" + target : String(target))
        let defaultPort = secure ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {   // an IPv6 literal
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.first == ":" else { throw .missingHost(url) }
            port = after.isEmpty ? defaultPort : Int(after.dropFirst()) ?? 0
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = String(parts.first ?? "")
            port = parts.count > 1 ? Int(parts[1]) ?? 0 : defaultPort
        }
        guard !host.isEmpty else { throw .missingHost(url) }
        guard (1...65535).contains(port) else { throw .badPort(url) }
    }

    /// The `Host` header the upstream gets: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String {
        let scheme = Self.schemes.first { $0.value == (version, secure) }?.key ?? "ws"
        return "\(scheme)://\(hostHeader)\(resource)"
    }
}
