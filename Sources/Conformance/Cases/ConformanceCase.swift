import Foundation
import WebSocketCore

/// One conformance case, read from a JSON file under `Conformance/cases/` (format:
/// Conformance/README.md). Adding a case is adding a file.
public struct ConformanceCase: Sendable, Decodable {
    public var id: String
    public var title: String
    /// The RFC or draft section the case checks.
    public var section: String
    public var handshake: HandshakeOptions?
    public var steps: [Step]
    /// Informational cases never fail: their observation is reported.
    public var informational: Bool?
    public var group: String { String(id.prefix { $0 != "." }) }
    /// The folder of the case's file, where `{"file": …}` bytes are read; nil for the suite
    /// built into the binary.
    public var folder: URL?

    enum CodingKeys: String, CodingKey { case id, title, section, handshake, steps, informational }

    public struct HandshakeOptions: Sendable, Decodable {
        /// `rfc6455` (default), `hybi-08`, `hybi-07`, `hixie-76`, `hixie-75`.
        public var version: String?
        /// permessage-deflate offers, as header values (e.g. "permessage-deflate; client_max_window_bits").
        public var offers: [String]?
        public var subprotocols: [String]?
        public var origin: String?
        /// Extra header lines.
        public var headers: [[String]]?
        /// A raw request instead of the client handshake (with `{HOST}` and `{PATH}` substituted).
        public var rawRequest: FixtureBytesValue?
        /// The case needs permessage-deflate: UNIMPLEMENTED when the server declines it.
        public var requireDeflate: Bool?
        /// hixie-76 keys to use instead of random ones (key3 as bytes).
        public var key1: String?
        public var key2: String?
        public var key3: FixtureBytesValue?
        /// Bytes sent right behind the request, in the same write (pipelined first frame).
        public var appendToRequest: FixtureBytesValue?
        /// Write the request in pieces of this many bytes.
        public var requestChop: Int?
    }

    /// One step. Exactly one of the fields is set.
    public struct Step: Sendable, Decodable {
        /// A frame with any field values.
        public var send: FrameSpec?
        /// Frames with any field values, written together in one write.
        public var sendBatch: [FrameSpec]?
        /// A message through the connection (fragmented/compressed as negotiated).
        public var sendMessage: MessageSpec?
        /// Raw bytes.
        public var sendRaw: FixtureBytesValue?
        /// Write the bytes of this step in pieces of this many bytes.
        public var chop: Int?
        public var pause: Double?
        public var expectMessage: MessageSpec?
        /// A pong with this payload.
        public var expectPong: FixtureBytesValue?
        /// The server's close frame with one of these codes (empty: any code).
        public var expectClose: [Int]?
        /// For expectMessage, expectPong and expectClose: what is expected must be the next frame
        /// the server sends; another frame before it is FAILED (the order of answers, RFC 6455 §5.4,
        /// §5.5.2).
        public var next: Bool?
        /// The server must drop TCP (or close with a code in `expectClose`).
        public var expectDrop: Bool?
        /// For expectClose, what is only NON-STRICT rather than FAILED: `echo` (the server accepted
        /// input that binds the sender, e.g. a non-minimal length), `timeout` (it fails, but not fast).
        public var lenient: [String]?
        /// The handshake must be answered with this HTTP status…
        public var expectStatus: Int?
        /// …or one of these (equally right answers, e.g. 426 for a request without Upgrade).
        public var orStatus: [Int]?
        /// The handshake must succeed with these properties.
        public var expectUpgrade: UpgradeExpectation?
        /// Starts the closing handshake.
        public var close: Int?
        public var reason: String?
    }

    public struct FrameSpec: Sendable, Decodable {
        /// Name (`text`, `binary`, `continuation`, `close`, `ping`, `pong`) or number.
        public var opcode: OpcodeValue
        public var payload: FixtureBytesValue?
        public var fin: Bool?
        public var rsv1: Bool?
        public var rsv2: Bool?
        public var rsv3: Bool?
        /// `random` (default), `none`, or 8 hex digits.
        public var mask: String?
        /// `minimal` (default), `16`, `64`, or a number to announce instead of the real length.
        public var length: String?
        /// Compress the payload with a fresh raw deflate stream (for RSV1 frames).
        public var deflate: Bool?
    }

    public struct MessageSpec: Sendable, Decodable {
        public var text: String?
        public var textBytes: FixtureBytesValue?
        public var binary: FixtureBytesValue?
        /// For sendMessage: split into frames of this payload size.
        public var fragmentSize: Int?
        /// For expectMessage: the message of a given previous sendMessage/send step (echo), by default the last sent.
        public var echo: Bool?
        /// For expectMessage: a close with one of these codes instead is INFORMATIONAL (a documented limit, e.g. 1009).
        public var orClose: [Int]?
    }

    public struct UpgradeExpectation: Sendable, Decodable {
        public var version: String?
        public var subprotocol: String?
        /// The permessage-deflate answer must contain these parameters.
        public var extensionContains: [String]?
        public var noExtension: Bool?
    }
}

/// An opcode given by name or number.
public struct OpcodeValue: Sendable, Decodable {
    public var opcode: Opcode
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            opcode = Opcode(UInt8(number & 0x0F))
            return
        }
        switch try container.decode(String.self) {
        case "continuation": opcode = .continuation
        case "text": opcode = .text
        case "binary": opcode = .binary
        case "close": opcode = .close
        case "ping": opcode = .ping
        case "pong": opcode = .pong
        case let other: throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown opcode \(other)")
        }
    }
}

public enum ConformanceError: Error, CustomStringConvertible {
    case badCase(String)
    case badTarget(String)

    public var description: String {
        switch self {
        case .badCase(let why): return "invalid case: \(why)"
        case .badTarget(let why): return "invalid target: \(why)"
        }
    }
}
