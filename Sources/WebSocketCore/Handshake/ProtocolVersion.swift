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

    /// Which version a handshake request speaks: `Sec-WebSocket-Version` (7, 8, 13; anything
    /// else → `unsupportedVersion`, answered 426), else hixie-76 when Key1/Key2 are present,
    /// else hixie-75. Shared by the server handshake and the capture decoder.
    public static func detect(in headers: HTTPHeaders) throws(WebSocketError) -> ProtocolVersion {
        let versions = headers.values("Sec-WebSocket-Version")
        if !versions.isEmpty {
            // RFC 6455 §4.4: a version this server does not speak gets 426 and the list it does.
            guard versions.count == 1, let number = Int(versions[0]),
                  let version = ProtocolVersion(versionNumber: number) else {
                throw .unsupportedVersion(versions.joined(separator: ", "))
            }
            return version
        }
        let hasKey1 = headers.contains("Sec-WebSocket-Key1"), hasKey2 = headers.contains("Sec-WebSocket-Key2")
        if hasKey1 || hasKey2 {
            guard hasKey1 && hasKey2 else { throw .missingHeader(hasKey1 ? "Sec-WebSocket-Key2" : "Sec-WebSocket-Key1") }
            return .hixie76
        }
        if headers.contains("Sec-WebSocket-Key") { throw .missingHeader("Sec-WebSocket-Version") }
        return .hixie75
    }

    /// hybi-07/08 carried the origin in `Sec-WebSocket-Origin`; RFC 6455 and hixie in `Origin`.
    public var originHeaderName: String {
        switch self {
        case .hybi07, .hybi08: return "Sec-WebSocket-Origin"
        default: return "Origin"
        }
    }
}
