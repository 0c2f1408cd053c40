/// What a server accepts during the opening handshake.
public struct ServerHandshakeConfiguration: Hashable, Sendable {
    /// Versions this server speaks; others get 426 (or 400 when nothing identifies them).
    public var versions: Set<ProtocolVersion>
    /// Subprotocols in this server's order of preference (RFC 6455 §4.2.2 item 5.4: the server
    /// picks one of the client's).
    public var subprotocols: [String]
    /// Refuse (400) a client whose offered subprotocols are all unknown, instead of accepting
    /// without one (what RFC 6455 §4.2.2 lets a server do).
    public var requireSubprotocolMatch: Bool
    public var origin: OriginPolicy
    /// nil: permessage-deflate is never negotiated.
    public var deflate: DeflateConfiguration?
    public var headLimits: HTTPHeadLimits
    /// Whether clients reach this server over TLS (`wss://` in hixie's `…-Location`).
    public var secure: Bool

    public init(versions: Set<ProtocolVersion> = Set(ProtocolVersion.allCases), subprotocols: [String] = [],
                requireSubprotocolMatch: Bool = false, origin: OriginPolicy = .any,
                deflate: DeflateConfiguration? = DeflateConfiguration(), headLimits: HTTPHeadLimits = HTTPHeadLimits(),
                secure: Bool = false) {
        self.versions = versions
        self.subprotocols = subprotocols
        self.requireSubprotocolMatch = requireSubprotocolMatch
        self.origin = origin
        self.deflate = deflate
        self.headLimits = headLimits
        self.secure = secure
    }

    /// For the 426 answer, highest first.
    public var supportedVersionList: [ProtocolVersion] {
        ProtocolVersion.allCases.filter { versions.contains($0) }
    }
}
