import Foundation

/// What a client asks for in its opening handshake.
public struct ClientHandshakeConfiguration: Sendable {
    public var version: ProtocolVersion
    /// `Host` value (host[:port]).
    public var host: String
    /// Request target, e.g. `/serveur.php`.
    public var target: String
    public var origin: String?
    public var subprotocols: [String]
    /// permessage-deflate offers, most preferred first; empty = no offer.
    public var deflateOffers: [DeflateParameters]
    /// How this client compresses if an offer is accepted.
    public var deflate: DeflateConfiguration
    /// Extra header lines, sent as given after the standard ones.
    public var extraHeaders: [(String, String)]
    public var headLimits: HTTPHeadLimits
    /// Sent as `Sec-WebSocket-Extensions` instead of `deflateOffers` serialised: lets a test send
    /// offers the parser would refuse (duplicate or invalid parameters); `deflateOffers` still
    /// holds the offers the answer is checked against.
    public var rawExtensionOffer: String?
    /// Fixed keys instead of random ones (RFC 6455 `Sec-WebSocket-Key`; hixie-76 Key1, Key2 and
    /// key3), for known-answer tests and deliberately wrong handshakes.
    public var fixedKeys: FixedKeys?
    /// The connection runs over TLS: a hixie answer's Location must then be a `wss://` URL.
    public var secure = false
    /// hixie-76: draw a key3 without a `0x0A` byte. Servers of the phpwebsocket family read the
    /// request line by line and lose a key3 that contains a newline.
    public var key3WithoutNewline = false
    /// hixie: accept a Location whose scheme is `ws` or `wss` whatever this connection's is — a
    /// bridge relaying to a backend, not a checker. Perl's Protocol::WebSocket, for one, answers
    /// `wss://` to any request that carries `X-Forwarded-Proto`, whatever its value.
    public var acceptsEitherLocationScheme = false

    public struct FixedKeys: Sendable, Hashable {
        public var key: String?
        public var key1: String?
        public var key2: String?
        public var key3: [UInt8]?
        public init(key: String? = nil, key1: String? = nil, key2: String? = nil, key3: [UInt8]? = nil) {
            self.key = key
            self.key1 = key1
            self.key2 = key2
            self.key3 = key3
        }
    }

    public init(version: ProtocolVersion = .rfc6455, host: String, target: String = "/", origin: String? = nil,
                subprotocols: [String] = [], deflateOffers: [DeflateParameters] = [],
                deflate: DeflateConfiguration = DeflateConfiguration(), extraHeaders: [(String, String)] = [],
                headLimits: HTTPHeadLimits = HTTPHeadLimits(), fixedKeys: FixedKeys? = nil) {
        self.fixedKeys = fixedKeys
        self.version = version
        self.host = host
        self.target = target
        self.origin = origin
        self.subprotocols = subprotocols
        self.deflateOffers = deflateOffers
        self.deflate = deflate
        self.extraHeaders = extraHeaders
        self.headLimits = headLimits
    }

    /// What Chromium, Python websockets and node ws all offer.
    public static let browserDeflateOffer = DeflateParameters(clientMaxWindowBits: .withoutValue)
}

/// The client side of the opening handshake for every version: the request bytes, then the
/// server's answer checked (RFC 6455 §4.1 items 1–6 after the status; hixie-76 §4.1 steps 31–43).
public struct ClientHandshake {
    public let configuration: ClientHandshakeConfiguration
    /// The bytes to send.
    public let request: [UInt8]
    private var buffer = ByteQueue()
    private var headParser: HTTPHeadParser
    private var response: HTTPResponseHead?
    private let expectedAccept: String?
    private let expectedHixieAnswer: [UInt8]?
    private var finished = false

    public init(configuration: ClientHandshakeConfiguration, random: inout some RandomNumberGenerator) {
        self.configuration = configuration
        headParser = HTTPHeadParser(limits: configuration.headLimits)
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        let version = configuration.version
        switch version {
        case .hybi07, .hybi08, .rfc6455:
            let key = configuration.fixedKeys?.key ?? AcceptKey.makeClientKey(using: &random)
            expectedAccept = AcceptKey.compute(forKey: key)
            expectedHixieAnswer = nil
            headers = [("Host", configuration.host), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                       ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", String(version.versionNumber!))]
            if let origin = configuration.origin { headers.append((version.originHeaderName, origin)) }
            if !configuration.subprotocols.isEmpty {
                headers.append(("Sec-WebSocket-Protocol", configuration.subprotocols.joined(separator: ", ")))
            }
            if let raw = configuration.rawExtensionOffer {
                headers.append(("Sec-WebSocket-Extensions", raw))
            } else if !configuration.deflateOffers.isEmpty {
                headers.append(("Sec-WebSocket-Extensions",
                                ExtensionHeader.serialize(configuration.deflateOffers.map(\.element))))
            }
        case .hixie76:
            var (key1, number1) = HixieChallenge.makeClientKey(using: &random)
            var (key2, number2) = HixieChallenge.makeClientKey(using: &random)
            var key3 = (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
            while configuration.key3WithoutNewline, let newline = key3.firstIndex(of: 0x0A) {
                key3[newline] = UInt8.random(in: 0...255, using: &random)
            }
            if let fixed = configuration.fixedKeys {
                if let k = fixed.key1 { key1 = k; number1 = (try? HixieChallenge.number(fromKey: k).get()) ?? 0 }
                if let k = fixed.key2 { key2 = k; number2 = (try? HixieChallenge.number(fromKey: k).get()) ?? 0 }
                if let k = fixed.key3 { key3 = k }
            }
            expectedAccept = nil
            expectedHixieAnswer = HixieChallenge.answer(number1: number1, number2: number2, key3: key3)
            headers = [("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Host", configuration.host),
                       ("Origin", configuration.origin ?? "null"),
                       ("Sec-WebSocket-Key1", key1), ("Sec-WebSocket-Key2", key2)]
            if let subprotocol = configuration.subprotocols.first { headers.append(("Sec-WebSocket-Protocol", subprotocol)) }
            body = key3
        case .hixie75:
            expectedAccept = nil
            expectedHixieAnswer = nil
            headers = [("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Host", configuration.host),
                       ("Origin", configuration.origin ?? "null")]
            if let subprotocol = configuration.subprotocols.first { headers.append(("WebSocket-Protocol", subprotocol)) }
        }
        headers += configuration.extraHeaders
        var text = "GET \(configuration.target) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        request = Array(text.utf8) + body
    }

    /// Feeds the server's bytes.
    public mutating func receive(_ bytes: some Collection<UInt8>) -> ClientHandshakeResult {
        guard !finished else { return .needMoreData }
        buffer.append(contentsOf: bytes)
        do throws(WebSocketError) {
            if response == nil {
                guard let head = try headParser.parse(&buffer) else { return .needMoreData }
                let parsed = try HTTPHeadParser.responseHead(from: head)
                guard parsed.status == 101 else {
                    finished = true
                    return .rejected(.unexpectedStatus(parsed.status), parsed)
                }
                response = parsed
            }
            guard let response else { return .needMoreData }
            if let expected = expectedHixieAnswer {
                guard buffer.count >= 16 else { return .needMoreData }
                guard Array(buffer.consume(16)) == expected else { throw .invalidHixieAnswer }
            }
            finished = true
            return .accepted(try validate(response))
        } catch {
            finished = true
            return .rejected(error, response)
        }
    }

    private mutating func validate(_ response: HTTPResponseHead) throws(WebSocketError) -> AcceptedClientHandshake {
        let headers = response.headers
        guard headers.listContains("Upgrade", token: "websocket") else {
            throw .malformedResponse("Upgrade is not 'websocket'")
        }
        guard headers.listContains("Connection", token: "upgrade") else {
            throw .malformedResponse("Connection does not contain 'Upgrade'")
        }
        var subprotocol: String?
        var deflate: (DeflateAgreement, compressOutbound: Bool)?
        switch configuration.version {
        case .hybi07, .hybi08, .rfc6455:
            guard headers.values("Sec-WebSocket-Accept") == [expectedAccept!] else { throw .invalidAcceptKey }
            let protocols = headers.listElements("Sec-WebSocket-Protocol")
            if let chosen = protocols.first {
                guard protocols.count == 1, configuration.subprotocols.contains(chosen) else {
                    throw .unexpectedSubprotocol(protocols.joined(separator: ", "))
                }
                subprotocol = chosen
            }
            let elements: [ExtensionElement]
            do {
                elements = try ExtensionHeader.parse(headers.values("Sec-WebSocket-Extensions"))
            } catch {
                throw .unexpectedExtension(headers.values("Sec-WebSocket-Extensions").joined(separator: ", "))
            }
            deflate = try DeflateNegotiation.validateResponse(elements, offers: configuration.deflateOffers,
                                                              configuration: configuration.deflate)
        case .hixie76, .hixie75:
            try validateHixieEcho(headers)
            let name = configuration.version == .hixie76 ? "Sec-WebSocket-Protocol" : "WebSocket-Protocol"
            if let chosen = headers.first(name) {
                guard configuration.subprotocols.first == chosen else { throw .unexpectedSubprotocol(chosen) }
                subprotocol = chosen
            }
        }
        return AcceptedClientHandshake(response: response, version: configuration.version, subprotocol: subprotocol,
                                       deflate: deflate.map { $0.0 }, compressOutbound: deflate?.compressOutbound ?? false,
                                       leftover: buffer.consumeAll())
    }
}

extension ClientHandshake {
    /// hixie-76 §4.1 steps 38–39 (hixie-75 §4.1 likewise): the answer echoes the request's origin
    /// and names the URL the client asked for — scheme, host, port and resource — exactly.
    private func validateHixieEcho(_ headers: HTTPHeaders) throws(WebSocketError) {
        let prefix = configuration.version == .hixie76 ? "Sec-" : ""
        let origin = configuration.origin ?? "null"
        guard let answeredOrigin = headers.first(prefix + "WebSocket-Origin") else {
            throw .malformedResponse("no \(prefix)WebSocket-Origin")
        }
        guard answeredOrigin == origin else {
            throw .malformedResponse("\(prefix)WebSocket-Origin is '\(answeredOrigin)', the request's origin is '\(origin)'")
        }
        let scheme = configuration.secure ? "wss" : "ws"
        var accepted = ["\(scheme)://\(configuration.host)\(configuration.target)"]
        // The URL names the port only when it is not the scheme's default.
        let defaultPort = configuration.secure ? ":443" : ":80"
        if configuration.host.hasSuffix(defaultPort) {
            accepted.append("\(scheme)://\(configuration.host.dropLast(defaultPort.count))\(configuration.target)")
        }
        if configuration.acceptsEitherLocationScheme {
            let other = configuration.secure ? "ws" : "wss"
            accepted += accepted.map { other + $0.dropFirst(scheme.count) }
        }
        guard let location = headers.first(prefix + "WebSocket-Location") else {
            throw .malformedResponse("no \(prefix)WebSocket-Location")
        }
        guard accepted.contains(location) else {
            throw .malformedResponse("\(prefix)WebSocket-Location is '\(location)', expected '\(accepted[0])'")
        }
    }
}

public enum ClientHandshakeResult {
    case needMoreData
    case accepted(AcceptedClientHandshake)
    /// The server refused (non-101) or answered wrongly; the response head when one was read.
    case rejected(WebSocketError, HTTPResponseHead?)
}

/// A handshake the client accepted.
public struct AcceptedClientHandshake {
    public var response: HTTPResponseHead
    public var version: ProtocolVersion
    public var subprotocol: String?
    public var deflate: DeflateAgreement?
    public var compressOutbound: Bool
    /// Bytes after the handshake: the first frames.
    public var leftover: [UInt8]

    /// The open connection this handshake leads to: only the sessions make it.
    func makeConnection(limits: ConnectionLimits = ConnectionLimits(), deflateConfiguration: DeflateConfiguration = DeflateConfiguration(),
                               random: any RandomNumberGenerator = SystemRandomNumberGenerator()) -> any WebSocketConnection {
        switch version.framing {
        case .hixie:
            return HixieConnection(role: .client, version: version, limits: limits)
        case .rfc6455:
            let context = deflate.map {
                DeflateContext(agreement: $0, role: .client, configuration: deflateConfiguration, compressOutbound: compressOutbound)
            }
            return RFC6455Connection(role: .client, version: version, deflate: context, limits: limits, random: random)
        }
    }
}
