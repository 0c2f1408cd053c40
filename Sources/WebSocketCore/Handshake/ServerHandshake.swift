/// The server side of the opening handshake for every version, from raw bytes to the exact
/// response bytes (RFC 6455 §4.2, hybi-07/08 §4.2, hixie-76 §5.2, hixie-75 §4.2).
///
/// hixie-76 is why this is not NIO's upgrader: the 8-byte key3 follows the headers with no
/// Content-Length (or with `Content-Length: 8` from some clients), in the same read or a later
/// one, possibly followed by the first frame, and the 16-byte answer depends on it.
public struct ServerHandshake {
    public let configuration: ServerHandshakeConfiguration
    private var buffer = ByteQueue()
    private var headParser: HTTPHeadParser
    private var pending: Pending?
    private var finished = false

    /// A hixie-76 request waiting for its key3.
    private struct Pending {
        var request: HTTPRequestHead
        var numbers: (UInt32, UInt32)
        var subprotocol: String?
        var headers: [(String, String)]
    }

    public init(configuration: ServerHandshakeConfiguration = ServerHandshakeConfiguration()) {
        self.configuration = configuration
        headParser = HTTPHeadParser(limits: configuration.headLimits)
    }

    /// Whether a hixie-76 request is complete but for its key3 (the shell's key3 timer).
    public var isAwaitingKey3: Bool { pending != nil }

    public mutating func receive(_ bytes: some Collection<UInt8>) -> ServerHandshakeResult {
        guard !finished else { return .needMoreData }
        buffer.append(contentsOf: bytes)
        do throws(WebSocketError) {
            if let pending {
                return finishHixie76(pending)
            }
            guard let head = try headParser.parse(&buffer) else { return .needMoreData }
            let request = try HTTPHeadParser.requestHead(from: head)
            return try negotiate(request)
        } catch {
            finished = true
            return .rejected(error, response: rejection(error))
        }
    }

    private func rejection(_ error: WebSocketError) -> [UInt8] {
        var bytes = HTTPResponseWriter.rejection(error, supportedVersions: configuration.supportedVersionList)
        if case .methodNotAllowed = error {
            // RFC 9110 §15.5.6: a 405 lists the allowed methods.
            bytes = HTTPResponseWriter.response(status: 405, headers: [("Allow", "GET")], body: error.reason + "\n")
        }
        return bytes
    }

    private mutating func negotiate(_ request: HTTPRequestHead) throws(WebSocketError) -> ServerHandshakeResult {
        let headers = request.headers
        // Not an upgrade at all: plain HTTP for the shell to serve (the chat page, 404, …).
        guard headers.listContains("Upgrade", token: "websocket") else {
            finished = true
            return .notWebSocket(request, leftover: buffer.consumeAll())
        }
        guard request.method == "GET" else { throw .methodNotAllowed(request.method) }
        // RFC 6455 §4.1 item 2: "HTTP/1.1 or higher".
        guard request.version == "HTTP/1.1" else { throw .malformedRequest("WebSocket needs HTTP/1.1") }
        guard headers.listContains("Connection", token: "upgrade") else {
            throw .invalidHeader(name: "Connection", reason: "must contain the token 'Upgrade'")
        }
        let hosts = headers.values("Host")
        guard hosts.count == 1, let host = hosts.first, !host.isEmpty else {
            throw hosts.isEmpty ? .missingHeader("Host") : .invalidHeader(name: "Host", reason: "must appear once")
        }
        let version = try ProtocolVersion.detect(in: headers)
        guard configuration.versions.contains(version) else {
            throw .unsupportedVersion(version.versionNumber.map(String.init) ?? version.rawValue)
        }
        let origin = headers.first(version.originHeaderName) ?? headers.first("Origin")
        guard configuration.origin.allows(origin) else { throw .originRejected(origin) }

        switch version {
        case .hybi07, .hybi08, .rfc6455:
            return try acceptHybi(request, version: version)
        case .hixie76:
            let numbers = try hixieNumbers(headers)
            if let length = headers.first("Content-Length"), length != "8" {
                throw .invalidHeader(name: "Content-Length", reason: "a hixie-76 request body is the 8-byte key3")
            }
            let subprotocol = try hixieSubprotocol(headers.first("Sec-WebSocket-Protocol"))
            var responseHeaders: [(String, String)] = [
                ("Upgrade", "WebSocket"),
                ("Connection", "Upgrade"),
                // Protocol::WebSocket's client takes an answer as hixie-76 only when this is
                // present: always send it, with `null` when the request had no Origin.
                ("Sec-WebSocket-Origin", origin ?? "null"),
                ("Sec-WebSocket-Location", location(host: host, target: request.target)),
            ]
            if let subprotocol { responseHeaders.append(("Sec-WebSocket-Protocol", subprotocol)) }
            let waiting = Pending(request: request, numbers: numbers, subprotocol: subprotocol, headers: responseHeaders)
            pending = waiting
            return finishHixie76(waiting)
        case .hixie75:
            let subprotocol = try hixieSubprotocol(headers.first("WebSocket-Protocol"))
            var responseHeaders: [(String, String)] = [
                ("Upgrade", "WebSocket"),
                ("Connection", "Upgrade"),
                ("WebSocket-Origin", origin ?? "null"),
                ("WebSocket-Location", location(host: host, target: request.target)),
            ]
            if let subprotocol { responseHeaders.append(("WebSocket-Protocol", subprotocol)) }
            finished = true
            return .accepted(AcceptedHandshake(request: request, version: .hixie75, subprotocol: subprotocol, deflate: nil,
                                               responseReason: "Web Socket Protocol Handshake", responseHeaders: responseHeaders,
                                               responseTrailer: [], leftover: buffer.consumeAll()))
        }
    }

    private mutating func acceptHybi(_ request: HTTPRequestHead, version: ProtocolVersion) throws(WebSocketError) -> ServerHandshakeResult {
        let headers = request.headers
        let keys = headers.values("Sec-WebSocket-Key")
        guard let key = keys.first else { throw .missingHeader("Sec-WebSocket-Key") }
        // §4.1 item 7 / §11.3.1: one key, base64 of 16 bytes.
        guard keys.count == 1, AcceptKey.isValidClientKey(key) else {
            throw .invalidHeader(name: "Sec-WebSocket-Key", reason: "must be base64 of 16 bytes, once")
        }
        let subprotocol = try selectSubprotocol(headers.listElements("Sec-WebSocket-Protocol"))
        var accepted: DeflateNegotiation.Accepted?
        if let deflate = configuration.deflate {
            let offers = try ExtensionHeader.parse(headers.values("Sec-WebSocket-Extensions"))
            accepted = DeflateNegotiation.negotiate(offers: offers, configuration: deflate)
        }
        var responseHeaders: [(String, String)] = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", AcceptKey.compute(forKey: key)),
        ]
        if let subprotocol { responseHeaders.append(("Sec-WebSocket-Protocol", subprotocol)) }
        if let accepted { responseHeaders.append(("Sec-WebSocket-Extensions", accepted.response.description)) }
        finished = true
        return .accepted(AcceptedHandshake(request: request, version: version, subprotocol: subprotocol, deflate: accepted,
                                           responseReason: "Switching Protocols", responseHeaders: responseHeaders,
                                           responseTrailer: [], leftover: buffer.consumeAll()))
    }

    /// The 16-byte answer needs key3: answer once its 8 bytes are here, whatever follows them.
    private mutating func finishHixie76(_ pending: Pending) -> ServerHandshakeResult {
        guard buffer.count >= 8 else { return .needMoreData }
        let key3 = buffer.consume(8)
        let answer = HixieChallenge.answer(number1: pending.numbers.0, number2: pending.numbers.1, key3: key3)
        self.pending = nil
        finished = true
        // One write for headers and answer: websocket-ruby's client takes the handshake as done at
        // CRLFCRLF and would read a late answer as frames.
        return .accepted(AcceptedHandshake(request: pending.request, version: .hixie76, subprotocol: pending.subprotocol, deflate: nil,
                                           responseReason: "WebSocket Protocol Handshake", responseHeaders: pending.headers,
                                           responseTrailer: answer, leftover: buffer.consumeAll()))
    }

    private func hixieNumbers(_ headers: HTTPHeaders) throws(WebSocketError) -> (UInt32, UInt32) {
        var numbers: [UInt32] = []
        for name in ["Sec-WebSocket-Key1", "Sec-WebSocket-Key2"] {
            let values = headers.values(name)
            guard values.count == 1 else { throw .invalidHeader(name: name, reason: "must appear once") }
            switch HixieChallenge.number(fromKey: values[0]) {
            case .success(let number): numbers.append(number)
            case .failure(let problem): throw .invalidHeader(name: name, reason: problem.rawValue)
            }
        }
        return (numbers[0], numbers[1])
    }

    /// RFC 6455 §4.2.2: the first of this server's subprotocols (in its order of preference) that
    /// the client offered.
    private func selectSubprotocol(_ offered: [String]) throws(WebSocketError) -> String? {
        guard !offered.isEmpty else { return nil }
        if let chosen = configuration.subprotocols.first(where: { offered.contains($0) }) { return chosen }
        if configuration.requireSubprotocolMatch { throw .subprotocolRequired }
        return nil
    }

    /// hixie-75/76 carry one subprotocol string, echoed verbatim when accepted.
    private func hixieSubprotocol(_ value: String?) throws(WebSocketError) -> String? {
        guard let value, !value.isEmpty else { return nil }
        if configuration.subprotocols.contains(value) { return value }
        if configuration.requireSubprotocolMatch { throw .subprotocolRequired }
        return nil
    }

    private func location(host: String, target: String) -> String {
        (configuration.secure ? "wss://" : "ws://") + host + target
    }
}

/// What one `ServerHandshake.receive` call concluded.
public enum ServerHandshakeResult {
    case needMoreData
    /// A plain HTTP request (no `Upgrade: websocket`); `leftover` holds any bytes after its head.
    case notWebSocket(HTTPRequestHead, leftover: [UInt8])
    /// Write `response`, then speak the negotiated framing; `leftover` are the first frame bytes.
    case accepted(AcceptedHandshake)
    /// Write `response` and close the connection.
    case rejected(WebSocketError, response: [UInt8])
}

/// A handshake the server accepted.
public struct AcceptedHandshake {
    public var request: HTTPRequestHead
    public var version: ProtocolVersion
    public var subprotocol: String?
    public var deflate: DeflateNegotiation.Accepted?
    /// The answer's status line reason and header lines, and what follows its head (hixie-76's
    /// 16-byte answer): kept apart so that the shell may still change the subprotocol.
    var responseReason: String
    var responseHeaders: [(String, String)]
    var responseTrailer: [UInt8]
    /// Bytes that followed the handshake in the same reads: the start of the first frames.
    public var leftover: [UInt8]

    /// The exact bytes to write (status line, headers, and for hixie-76 the 16-byte answer).
    public var response: [UInt8] {
        HTTPResponseWriter.head(status: 101, reason: responseReason, headers: responseHeaders) + responseTrailer
    }

    /// The subprotocol header of this version's answer.
    private var subprotocolHeader: String { version == .hixie75 ? "WebSocket-Protocol" : "Sec-WebSocket-Protocol" }

    /// Answers with `subprotocol` (nil: none) instead of this server's own choice: what a relay
    /// does with its backend's choice (RFC 6455 §4.2.2: the one value, among the client's).
    /// hixie-76's answer does not cover the header (§5.2), so it stays valid.
    mutating func choose(subprotocol chosen: String?) {
        subprotocol = chosen
        let header = subprotocolHeader.lowercased()
        responseHeaders.removeAll { $0.0.lowercased() == header }
        if let chosen { responseHeaders.append((subprotocolHeader, chosen)) }
    }

    /// The open connection this handshake leads to: only the sessions make it.
    func makeConnection(limits: ConnectionLimits = ConnectionLimits(),
                               deflateConfiguration: DeflateConfiguration = DeflateConfiguration()) -> any WebSocketConnection {
        switch version.framing {
        case .hixie:
            return HixieConnection(role: .server, version: version, limits: limits)
        case .rfc6455:
            let context = deflate.map {
                DeflateContext(agreement: $0.agreement, role: .server, configuration: deflateConfiguration,
                               compressOutbound: $0.compressOutbound)
            }
            return RFC6455Connection(role: .server, version: version, deflate: context, limits: limits)
        }
    }
}
