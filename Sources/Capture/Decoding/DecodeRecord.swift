/// What the decoder reports, one record at a time (streamed: a large capture is never held whole).
/// `passerelle decode --json` prints one record per line (JSON Lines); the schema is in the README.
public enum DecodeRecord: Hashable, Sendable, Encodable {
    case connection(ConnectionRecord)
    case frame(FrameRecord)
    case message(MessageRecord)
    case violation(ViolationRecord)
    case gap(GapRecord)
    case summary(SummaryRecord)

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .connection(let r): try r.encode(to: encoder)
        case .frame(let r): try r.encode(to: encoder)
        case .message(let r): try r.encode(to: encoder)
        case .violation(let r): try r.encode(to: encoder)
        case .gap(let r): try r.encode(to: encoder)
        case .summary(let r): try r.encode(to: encoder)
        }
    }

    public var connectionID: Int {
        switch self {
        case .connection(let r): return r.id
        case .frame(let r): return r.connection
        case .message(let r): return r.connection
        case .violation(let r): return r.connection
        case .gap(let r): return r.connection
        case .summary(let r): return r.id
        }
    }
}

/// `c2s` (client to server) or `s2c`.
public enum Direction: String, Hashable, Sendable, Codable {
    case c2s, s2c
    public var arrow: String { self == .c2s ? "C→S" : "S→C" }
}

/// A WebSocket connection found in the capture, once its handshake is read.
public struct ConnectionRecord: Hashable, Sendable, Encodable {
    public var type = "connection"
    public var id: Int
    public var client: String
    public var server: String
    /// Seconds since the Unix epoch of its first packet.
    public var start: Double
    public var path: String?
    /// `hixie-75`, `hixie-76`, `hybi-07`, `hybi-08`, `rfc6455`, or nil when no handshake was seen.
    public var version: String?
    public var status: Int?
    public var extensions: String?
    public var subprotocol: String?
    /// wss: the TLS version and cipher suite (e.g. "TLS 1.3, TLS_AES_128_GCM_SHA256").
    public var tls: String? = nil
    /// Why the handshake could not be read, or "mid-stream" when the capture began after it.
    public var note: String?
}

/// One frame on the wire. RFC 6455 fields are nil for hixie frames.
public struct FrameRecord: Hashable, Sendable, Encodable {
    public var type = "frame"
    public var connection: Int
    /// Seconds since the connection's first packet.
    public var time: Double
    public var direction: Direction
    public var framing: String
    public var opcode: Int?
    public var opcodeName: String
    public var fin: Bool?
    public var rsv: Int?
    public var masked: Bool?
    public var maskingKey: String?
    public var payloadLength: Int
    public var wireLength: Int
}

/// A complete message or control frame, after reassembly and inflation.
public struct MessageRecord: Hashable, Sendable, Encodable {
    public var type = "message"
    public var connection: Int
    public var time: Double
    public var direction: Direction
    /// `text`, `binary`, `ping`, `pong`, `close`.
    public var kind: String
    public var compressed: Bool
    /// Payload bytes on the wire (all fragments, before inflation).
    public var wireLength: Int
    /// Bytes after inflation; nil when they are unknown (a message that could not be inflated).
    public var length: Int?
    /// The text (cut at `--max-payload` characters), for text messages and close reasons.
    public var text: String?
    /// The bytes in hex (cut at `--max-payload` bytes), for binary, ping and pong payloads.
    public var hex: String?
    public var truncated: Bool
    public var closeCode: Int?
    /// Why part of what is shown is unknown (a message after a gap that cannot be inflated).
    public var note: String? = nil
}

/// A rule the peer broke, with where the rule is written.
public struct ViolationRecord: Hashable, Sendable, Encodable {
    public var type = "violation"
    public var connection: Int
    public var time: Double
    public var direction: Direction
    /// The `WebSocketError` case name (e.g. `unmaskedClientFrame`).
    public var rule: String
    public var section: String
    public var description: String
}

/// Bytes the capture does not have (dropped packets, capture started mid-connection).
public struct GapRecord: Hashable, Sendable, Encodable {
    public var type = "gap"
    public var connection: Int
    public var time: Double
    public var direction: Direction
    public var bytes: Int
    public var note: String
}

/// Per-connection totals, at the end.
public struct SummaryRecord: Hashable, Sendable, Encodable {
    public var type = "summary"
    public var id: Int
    public var version: String?
    public var extensions: String?
    public var messages: [String: Int] = [:]
    public var frames: [String: Int] = [:]
    public var bytes: [String: Int] = [:]
    public var closeCodes: [String: Int?] = [:]
    public var violations = 0
    public var missingBytes = 0
    public var retransmittedBytes = 0
}
