/// The WebSocket protocol versions Passerelle negotiates.
public enum ProtocolVersion: String, CaseIterable, Hashable, Sendable, Codable {
    /// draft-hixie-thewebsocketprotocol-75: no keys, no closing handshake.
    case hixie75 = "hixie-75"
    /// draft-hixie-thewebsocketprotocol-76 (= draft-ietf-hybi-00): Key1/Key2/key3, MD5 answer.
    case hixie76 = "hixie-76"
    /// draft-ietf-hybi-thewebsocketprotocol-07 (`Sec-WebSocket-Version: 7`).
    case hybi07 = "hybi-07"
    /// draft-ietf-hybi-thewebsocketprotocol-08 (`Sec-WebSocket-Version: 8`, also drafts 09–12).
    case hybi08 = "hybi-08"
    /// RFC 6455 (`Sec-WebSocket-Version: 13`).
    case rfc6455 = "rfc6455"

    public enum Framing: String, Hashable, Sendable { case hixie, rfc6455 }

    /// hybi-07 and later share RFC 6455's framing; the hixie drafts frame with 0x00…0xFF.
    public var framing: Framing {
        switch self {
        case .hixie75, .hixie76: return .hixie
        case .hybi07, .hybi08, .rfc6455: return .rfc6455
        }
    }

    /// The `Sec-WebSocket-Version` value, for the versions that send one.
    public var versionNumber: Int? {
        switch self {
        case .hixie75, .hixie76: return nil
        case .hybi07: return 7
        case .hybi08: return 8
        case .rfc6455: return 13
        }
    }

    public init?(versionNumber: Int) {
        switch versionNumber {
        case 7: self = .hybi07
        case 8: self = .hybi08
        case 13: self = .rfc6455
        default: return nil
        }
    }

    /// hybi-07/08 carried the origin in `Sec-WebSocket-Origin`; RFC 6455 and hixie in `Origin`.
    var originHeaderName: String {
        switch self {
        case .hybi07, .hybi08: return "Sec-WebSocket-Origin"
        default: return "Origin"
        }
    }
}
