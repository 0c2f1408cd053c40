/// Every way a handshake or a connection can fail, in one hierarchy.
///
/// Each case knows how it is answered on the wire: an HTTP status during the opening handshake,
/// a close code once the connection is open (`answer`, the single mapping table below). Fixtures
/// name cases by `identifier`, so the names are part of the fixture format.
public enum WebSocketError: Error, Hashable, Sendable {
    // MARK: Opening handshake, server side (answered with an HTTP status)
    case malformedRequest(String)
    case methodNotAllowed(String)
    case headerBlockTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    case missingHeader(String)
    case invalidHeader(name: String, reason: String)
    case unsupportedVersion(String)
    case originRejected(String?)
    case subprotocolRequired
    case handshakeTimeout

    // MARK: Opening handshake, client side (the connection is failed, RFC 6455 §4.1)
    case unexpectedStatus(Int)
    case malformedResponse(String)
    case invalidAcceptKey
    case invalidHixieAnswer
    case unexpectedExtension(String)
    case unexpectedSubprotocol(String)

    // MARK: RFC 6455 framing (answered with a close code)
    case reservedBitsSet(rsv: UInt8)
    case reservedOpcode(UInt8)
    case unmaskedClientFrame
    case maskedServerFrame
    case nonMinimalLength
    case lengthMostSignificantBitSet
    case controlFrameTooLong(Int)
    case fragmentedControlFrame
    case unexpectedContinuation
    case expectedContinuation
    case frameTooLarge(limit: Int)
    case messageTooLarge(limit: Int)
    case invalidUTF8
    case closePayloadTooShort
    case invalidCloseCode(UInt16)
    case invalidCloseReason
    case compressedControlFrame
    case compressedContinuation
    case inflateFailed(String)
    case dataAfterClose

    // MARK: Hixie framing
    case hixieFrameTooLarge(limit: Int)
    case hixieInvalidUTF8

    // MARK: A shell's own limit or policy (its reason and close code are its own)
    /// A shell ends an open connection for a reason of its own — a member too slow to read, a
    /// backlog that is full — with the close code that reason maps to.
    case localLimit(code: CloseCode, reason: String)

    // MARK: Local misuse (never a peer's fault)
    case binaryNotSupportedByFraming
    case pingNotSupportedByFraming
    case connectionNotOpen
    case invalidLocalCloseCode(UInt16)
    case controlPayloadTooLong(Int)

    /// How the error is answered on the wire.
    public enum Answer: Hashable, Sendable {
        case httpStatus(Int)
        case closeCode(CloseCode)
    }

    /// The single table mapping each error to its HTTP status or close code.
    public var answer: Answer {
        switch self {
        case .malformedRequest, .missingHeader, .invalidHeader, .subprotocolRequired:
            return .httpStatus(400)
        case .methodNotAllowed: return .httpStatus(405)
        case .headerBlockTooLarge, .tooManyHeaders: return .httpStatus(431)
        case .unsupportedVersion: return .httpStatus(426)
        case .originRejected: return .httpStatus(403)
        case .handshakeTimeout: return .httpStatus(408)
        case .localLimit(let code, _): return .closeCode(code)

        // RFC 6455 §4.1: a client that rejects the server's answer fails the connection; there is
        // no frame to send yet, so the code is what the client reports (1002).
        case .unexpectedStatus, .malformedResponse, .invalidAcceptKey, .invalidHixieAnswer,
             .unexpectedExtension, .unexpectedSubprotocol:
            return .closeCode(.protocolError)

        case .reservedBitsSet, .reservedOpcode, .unmaskedClientFrame, .maskedServerFrame,
             .nonMinimalLength, .lengthMostSignificantBitSet, .controlFrameTooLong,
             .fragmentedControlFrame, .unexpectedContinuation, .expectedContinuation,
             .closePayloadTooShort, .invalidCloseCode, .compressedControlFrame,
             .compressedContinuation, .dataAfterClose:
            return .closeCode(.protocolError)
        // RFC 6455 §8.1 / §7.4.1: payload data inconsistent with the message type.
        case .invalidUTF8, .invalidCloseReason, .hixieInvalidUTF8, .inflateFailed:
            return .closeCode(.invalidPayloadData)
        case .frameTooLarge, .messageTooLarge, .hixieFrameTooLarge:
            return .closeCode(.messageTooBig)
        case .binaryNotSupportedByFraming, .pingNotSupportedByFraming, .connectionNotOpen, .invalidLocalCloseCode,
             .controlPayloadTooLong:
            return .closeCode(.internalError)
        }
    }

    /// The close code, for errors answered with one.
    public var closeCode: CloseCode? {
        if case .closeCode(let code) = answer { return code }
        return nil
    }

    /// The HTTP status, for errors answered with one.
    public var httpStatus: Int? {
        if case .httpStatus(let status) = answer { return status }
        return nil
    }

    /// The specification section that states the rule (for reports and the capture decoder).
    public var section: String {
        switch self {
        case .malformedRequest, .headerBlockTooLarge, .tooManyHeaders: return "RFC 9112 §2–5"
        case .methodNotAllowed: return "RFC 6455 §4.1"
        case .missingHeader, .invalidHeader: return "RFC 6455 §4.2.1"
        case .unsupportedVersion: return "RFC 6455 §4.4"
        case .originRejected: return "RFC 6455 §10.2"
        case .subprotocolRequired: return "RFC 6455 §4.2.2"
        case .handshakeTimeout, .localLimit: return "Passerelle limit"
        case .unexpectedStatus, .malformedResponse, .invalidAcceptKey, .unexpectedExtension, .unexpectedSubprotocol: return "RFC 6455 §4.1"
        case .invalidHixieAnswer: return "draft-hixie-76 §4.1"
        case .reservedBitsSet: return "RFC 6455 §5.2"
        case .reservedOpcode: return "RFC 6455 §5.2"
        case .unmaskedClientFrame, .maskedServerFrame: return "RFC 6455 §5.1"
        case .nonMinimalLength, .lengthMostSignificantBitSet: return "RFC 6455 §5.2"
        case .controlFrameTooLong, .fragmentedControlFrame: return "RFC 6455 §5.5"
        case .unexpectedContinuation, .expectedContinuation: return "RFC 6455 §5.4"
        case .frameTooLarge, .messageTooLarge: return "RFC 6455 §10.4"
        case .invalidUTF8: return "RFC 6455 §8.1"
        case .closePayloadTooShort, .invalidCloseReason: return "RFC 6455 §5.5.1"
        case .invalidCloseCode: return "RFC 6455 §7.4"
        case .compressedControlFrame, .compressedContinuation: return "RFC 7692 §6"
        case .inflateFailed: return "RFC 7692 §7.2.2"
        case .dataAfterClose: return "RFC 6455 §5.5.1"
        case .hixieFrameTooLarge, .hixieInvalidUTF8: return "draft-hixie-76 §5.3"
        case .binaryNotSupportedByFraming, .pingNotSupportedByFraming, .connectionNotOpen, .invalidLocalCloseCode,
             .controlPayloadTooLong: return "local"
        }
    }

    /// A stable name used by fixtures and logs (the case name, without associated values).
    public var identifier: String {
        let text = String(describing: self)
        return String(text.prefix { $0 != "(" })
    }

    /// A short reason, safe to put in a close frame (≤ 123 bytes) or an HTTP body.
    public var reason: String {
        let text: String
        switch self {
        case .malformedRequest(let why): text = "malformed request: \(why)"
        case .methodNotAllowed(let method): text = "method \(method) not allowed, use GET"
        case .headerBlockTooLarge(let limit): text = "header block larger than \(limit) bytes"
        case .tooManyHeaders(let limit): text = "more than \(limit) header lines"
        case .missingHeader(let name): text = "missing header \(name)"
        case .invalidHeader(let name, let why): text = "invalid \(name): \(why)"
        case .unsupportedVersion(let version): text = "unsupported Sec-WebSocket-Version \(version)"
        case .originRejected(let origin): text = "origin \(origin ?? "(none)") not allowed"
        case .subprotocolRequired: text = "no offered subprotocol is supported"
        case .handshakeTimeout: text = "handshake not completed in time"
        case .localLimit(_, let reason): text = reason
        case .unexpectedStatus(let status): text = "server answered HTTP \(status)"
        case .malformedResponse(let why): text = "malformed response: \(why)"
        case .invalidAcceptKey: text = "Sec-WebSocket-Accept does not match the key"
        case .invalidHixieAnswer: text = "hixie-76 challenge answer does not match"
        case .unexpectedExtension(let ext): text = "server accepted an extension not offered: \(ext)"
        case .unexpectedSubprotocol(let p): text = "server chose a subprotocol not offered: \(p)"
        case .reservedBitsSet(let rsv): text = "reserved bits set (RSV=\(rsv)) without an extension"
        case .reservedOpcode(let op): text = "reserved opcode \(op)"
        case .unmaskedClientFrame: text = "client frame not masked"
        case .maskedServerFrame: text = "server frame masked"
        case .nonMinimalLength: text = "payload length not minimally encoded"
        case .lengthMostSignificantBitSet: text = "64-bit payload length has its most significant bit set"
        case .controlFrameTooLong(let n): text = "control frame payload of \(n) bytes (max 125)"
        case .fragmentedControlFrame: text = "fragmented control frame"
        case .unexpectedContinuation: text = "continuation frame without a message to continue"
        case .expectedContinuation: text = "new data frame while a fragmented message is open"
        case .frameTooLarge(let limit): text = "frame larger than \(limit) bytes"
        case .messageTooLarge(let limit): text = "message larger than \(limit) bytes"
        case .invalidUTF8: text = "text is not valid UTF-8"
        case .closePayloadTooShort: text = "close frame payload of 1 byte"
        case .invalidCloseCode(let code): text = "invalid close code \(code)"
        case .invalidCloseReason: text = "close reason is not valid UTF-8"
        case .compressedControlFrame: text = "control frame with RSV1 set"
        case .compressedContinuation: text = "continuation frame with RSV1 set"
        case .inflateFailed(let why): text = "cannot inflate message: \(why)"
        case .dataAfterClose: text = "frame after close frame"
        case .hixieFrameTooLarge(let limit): text = "hixie frame larger than \(limit) bytes"
        case .hixieInvalidUTF8: text = "hixie text frame is not valid UTF-8"
        case .binaryNotSupportedByFraming: text = "hixie framing cannot carry binary messages"
        case .pingNotSupportedByFraming: text = "hixie framing has no ping"
        case .connectionNotOpen: text = "connection is not open"
        case .invalidLocalCloseCode(let code): text = "close code \(code) may not be sent"
        case .controlPayloadTooLong(let n): text = "control payload of \(n) bytes (max 125)"
        }
        // RFC 6455 §5.5: a close payload is at most 125 bytes, 2 of which carry the code.
        return Self.truncatedUTF8(text, maxBytes: 123)
    }

    static func truncatedUTF8(_ text: String, maxBytes: Int) -> String {
        var utf8 = Array(text.utf8)
        guard utf8.count > maxBytes else { return text }
        utf8.removeLast(utf8.count - maxBytes)
        while !UTF8Validator.isValid(utf8) { utf8.removeLast() }
        return String(decoding: utf8, as: UTF8.self)
    }
}
