import Testing
import WebSocketCore

/// One session per side owns a connection from its first byte to its closed state: the
/// handshake, the shell's decision, the framing, the close and the end of the transport, for
/// every version, with no socket and no clock.
@Suite struct SessionTests {
    static let versions: [ProtocolVersion] = [.hixie75, .hixie76, .hybi07, .hybi08, .rfc6455]

    /// A client and a server session joined back to back, opened.
    static func pair(_ version: ProtocolVersion, deflate: Bool = false) throws -> (client: ClientSession, server: ServerSession) {
        var client = ClientSession(configuration: ClientHandshakeConfiguration(
            version: version, host: "tv.example:11345", target: "/serveur.php",
            deflateOffers: deflate ? [ClientHandshakeConfiguration.browserDeflateOffer] : []), random: SeededRandom(seed: 1))
        var server = ServerSession(configuration: ServerHandshakeConfiguration(deflate: deflate ? DeflateConfiguration() : nil))
        // The request a byte at a time: the decision comes once, on the last byte (key3's for hixie-76).
        var request: HandshakeEvent?
        for byte in client.request {
            let output = server.receive([byte])
            #expect(request == nil || output.handshake == nil)
            if let event = output.handshake { request = event }
        }
        guard case .request(let accepted)? = request else { throw FixtureError("no request event for \(version)") }
        #expect(accepted.version == version && accepted.request.path == "/serveur.php")
        #expect(server.isHandshaking && server.state == .closed, "nothing is answered before the shell decides")
        let answer = server.accept()
        #expect(server.state == .open && server.version == version)
        let opened = client.receive(answer.outbound)
        guard case .opened(let answered)? = opened.handshake else { throw FixtureError("client did not open: \(String(describing: opened.handshake))") }
        #expect(answered.version == version && client.state == .open)
        return (client, server)
    }

    @Test(arguments: versions)
    func bothSidesOpenAndExchangeEveryVersion(version: ProtocolVersion) throws {
        var (client, server) = try Self.pair(version)
        let toServer = server.receive(try client.send(.text("bonsoir"), fragmentSize: 3))
        #expect(toServer.events == [.message(.text("bonsoir"))])
        let toClient = client.receive(try server.send(.text("salut")))
        #expect(toClient.events == [.message(.text("salut"))])
    }

    @Test func pingAndFragmentsNeedNoDowncast() throws {
        var (client, server) = try Self.pair(.rfc6455, deflate: true)
        let pinged = server.receive(try client.ping(Array("tv?".utf8)))
        #expect(pinged.events == [.ping(Array("tv?".utf8))])
        #expect(client.receive(pinged.outbound).events == [.pong(Array("tv?".utf8))])
        var hixie = try Self.pair(.hixie76)
        #expect(throws: WebSocketError.pingNotSupportedByFraming) { try hixie.client.ping([]) }
    }

    @Test func bytesBeforeTheDecisionAreReadOnceAccepted() throws {
        var client = ClientSession(configuration: ClientHandshakeConfiguration(host: "h", target: "/echo"), random: SeededRandom(seed: 2))
        var server = ServerSession()
        guard case .request? = server.receive(client.request).handshake else { throw FixtureError("no request") }
        // A frame pipelined behind the request, before the 101 (robustness: RFC 6455 §4.1 tells clients to wait).
        let frame = FrameEncoder.frame(opcode: .text, payload: Array("tôt".utf8), maskingKey: 0x0102_0304)
        #expect(server.receive(frame).events.isEmpty, "held until accept()")
        let accepted = server.accept()
        #expect(accepted.outbound.starts(with: Array("HTTP/1.1 101".utf8)))
        #expect(accepted.events == [.message(.text("tôt"))])
        guard case .opened? = client.receive(accepted.outbound).handshake else { throw FixtureError("client did not open") }
    }

    @Test func aRefusalIsAnHTTPAnswerThenTheEnd() throws {
        var client = ClientSession(configuration: ClientHandshakeConfiguration(host: "h", target: "/nowhere"), random: SeededRandom(seed: 4))
        var server = ServerSession()
        _ = server.receive(client.request)
        let refused = server.reject(status: 404, body: "no WebSocket endpoint\n")
        #expect(refused.closeTransport && refused.outbound.starts(with: Array("HTTP/1.1 404".utf8)))
        let seen = client.receive(refused.outbound)
        guard case .failed(.unexpectedStatus(404), let head)? = seen.handshake else { throw FixtureError("\(String(describing: seen.handshake))") }
        #expect(head?.status == 404 && client.state == .closed)
    }

    @Test func aPlainRequestIsHandedToTheShell() throws {
        var server = ServerSession()
        let output = server.receive(Array("GET /chat.html HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        guard case .plainHTTP(let request, _)? = output.handshake else { throw FixtureError("no plain request") }
        #expect(request.path == "/chat.html" && !server.isHandshaking)
    }

    @Test func theEndOfTheTransport() throws {
        for version in Self.versions {
            var (_, server) = try Self.pair(version)
            let ended = server.receiveEOF()
            // RFC 6455 §7.1.5: closed without a close frame is 1006; hixie-75's close is the end of TCP.
            #expect(ended.events == [.transportEnded(version == .hixie75 ? .normalClosure : .abnormalClosure)], "\(version)")
            #expect(server.state == .closed)
            #expect(throws: WebSocketError.connectionNotOpen) { try server.send(.text("late")) }
        }
        var (client, server) = try Self.pair(.rfc6455)
        let closing = try client.close(code: .normalClosure, reason: "")
        _ = client.receive(server.receive(closing.outbound).outbound)
        #expect(client.receiveEOF().events.isEmpty, "after the closing handshake the end of TCP is no event")
        var waiting = ServerSession()
        #expect(waiting.receiveEOF().events.isEmpty && waiting.state == .closed)
        var early = ClientSession(configuration: ClientHandshakeConfiguration(host: "h"), random: SeededRandom(seed: 5))
        guard case .failed? = early.receiveEOF().handshake else { throw FixtureError("a client cut off during the handshake has failed") }
    }

    @Test func keepaliveIsAPureFunctionOfSilence() throws {
        let policy = KeepalivePolicy(pingAfter: 30, closeAfter: 90, hixieCloseAfter: 600)
        #expect(policy.tickInterval(for: .rfc6455) == 15 && policy.tickInterval(for: .hixie) == 300)
        #expect(KeepalivePolicy().tickInterval(for: .rfc6455) == nil)
        var (client, server) = try Self.pair(.rfc6455)
        guard case .none = server.keepalive(silentFor: 29, policy: policy) else { throw FixtureError("no action before 30 s") }
        guard case .ping(let ping) = server.keepalive(silentFor: 31, policy: policy) else { throw FixtureError("a ping after 30 s") }
        #expect(client.receive(ping).events == [.ping(Array("keepalive".utf8))])
        guard case .close(let close) = server.keepalive(silentFor: 91, policy: policy) else { throw FixtureError("a close after 90 s") }
        #expect(client.receive(close.outbound).events == [.closeReceived(code: .goingAway, reason: "idle timeout")])
        guard case .none = server.keepalive(silentFor: 1_000, policy: policy) else { throw FixtureError("nothing once closing") }
        var hixie = try Self.pair(.hixie76)
        guard case .none = hixie.server.keepalive(silentFor: 599, policy: policy) else { throw FixtureError("no ping for hixie") }
        guard case .close(let hixieClose) = hixie.server.keepalive(silentFor: 600, policy: policy) else { throw FixtureError("hixie idle close") }
        #expect(hixieClose.outbound == [0xFF, 0x00])
    }
}

/// hixie-76 clients for backends that read the request line by line.
@Suite struct HixieKey3Tests {
    @Test func key3CanAvoidANewline() {
        var seen = 0
        for seed in 0..<2_000 as Range<UInt64> {
            var configuration = ClientHandshakeConfiguration(version: .hixie76, host: "h", target: "/serveur.php")
            configuration.key3WithoutNewline = true
            let session = ClientSession(configuration: configuration, random: SeededRandom(seed: seed))
            let key3 = session.request.suffix(8)
            #expect(!key3.contains(0x0A), "seed \(seed)")
            var plain = configuration
            plain.key3WithoutNewline = false
            if ClientSession(configuration: plain, random: SeededRandom(seed: seed)).request.suffix(8).contains(0x0A) { seen += 1 }
        }
        #expect(seen > 0, "some plain key3s do hold a newline, so the option changes something")
    }
}

/// hixie answers name the requested URL (hixie-76 §4.1): a checker holds the scheme to it, a
/// bridge accepts either, since legacy servers guess it.
@Suite struct HixieLocationTests {
    static func answer(secureClient: Bool, lenient: Bool) -> HandshakeEvent? {
        var configuration = ClientHandshakeConfiguration(version: .hixie76, host: "tv.example:11345", target: "/serveur.php")
        configuration.secure = secureClient
        configuration.acceptsEitherLocationScheme = lenient
        var client = ClientSession(configuration: configuration, random: SeededRandom(seed: 4))
        var server = ServerSession()   // not behind TLS: it answers ws://
        _ = server.receive(client.request)
        return client.receive(server.accept().outbound).handshake
    }

    @Test func theSchemeIsCheckedUnlessTheClientIsLenient() {
        guard case .opened? = Self.answer(secureClient: false, lenient: false) else { Issue.record("the right scheme opens"); return }
        guard case .failed(.malformedResponse(let why), _)? = Self.answer(secureClient: true, lenient: false) else {
            Issue.record("a checker refuses ws:// on a secure connection"); return
        }
        #expect(why.contains("wss://tv.example:11345/serveur.php"))
        guard case .opened? = Self.answer(secureClient: true, lenient: true) else { Issue.record("a bridge accepts either scheme"); return }
    }
}

/// A relay's client leg: the server session that holds its answer to the peer's close until the
/// shell's `close`, sending messages meanwhile (`accept(answeringSubprotocol:deferringCloseReply:)`).
@Suite struct DeferredCloseReplyTests {
    /// A client and a server that defers its close reply, opened; the server answers `chosen`.
    static func pair(_ version: ProtocolVersion, chosen: String? = nil) throws -> (client: ClientSession, server: ServerSession) {
        var client = ClientSession(configuration: ClientHandshakeConfiguration(
            version: version, host: "tv.example", target: "/app", subprotocols: version == .rfc6455 ? ["chat.v1", "chat.v2"] : []),
                                     random: SeededRandom(seed: 3))
        var server = ServerSession(configuration: ServerHandshakeConfiguration(subprotocols: ["chat.v1"]))
        guard case .request(let request)? = server.receive(client.request).handshake else { throw FixtureError("no request") }
        #expect(server.pendingRequest?.version == request.version && server.pendingRequest?.request.path == "/app", "the request waits for the shell's decision")
        let answer = server.accept(answeringSubprotocol: chosen, deferringCloseReply: true)
        #expect(server.pendingRequest == nil)
        guard case .opened(let accepted)? = client.receive(answer.outbound).handshake else { throw FixtureError("not opened") }
        #expect(accepted.subprotocol == chosen, "the shell's choice, not this server's own (chat.v1)")
        return (client, server)
    }

    @Test(arguments: [ProtocolVersion.rfc6455, .hixie76])
    func thePeersCloseWaitsForTheShellWhileMessagesStillGo(version: ProtocolVersion) throws {
        var (client, server) = try Self.pair(version, chosen: version == .rfc6455 ? "chat.v2" : nil)
        let closing = try client.close(code: .normalClosure, reason: "au revoir")
        let heard = server.receive(closing.outbound + Array("late".utf8))
        #expect(heard.events == [.closeReceived(code: version == .rfc6455 ? .normalClosure : nil, reason: version == .rfc6455 ? "au revoir" : "")])
        #expect(heard.outbound.isEmpty && !heard.closeTransport, "not answered yet")
        #expect(server.state == .peerClosed && server.bytesAfterClose == 4, "nothing read after the peer's close")
        #expect(client.receive(try server.send(.text("encore un"))).events == [.message(.text("encore un"))], "messages still go")
        #expect(throws: WebSocketError.self) { try server.ping() }
        let answer = try server.close(code: version == .rfc6455 ? CloseCode(4001) : nil, reason: "")
        #expect(answer.closeTransport && server.state == .closed, "the held answer completes the closing handshake")
        let done = client.receive(answer.outbound)
        #expect(done.events == [.closeReceived(code: version == .rfc6455 ? CloseCode(4001) : nil, reason: "")])
        #expect(client.state == .closed)
    }

    @Test func aCloseWithoutStatusCodeHasNoBody() throws {
        var (client, server) = try Self.pair(.rfc6455)
        let frame = try server.close(code: nil, reason: "ignored")
        #expect(client.receive(frame.outbound).events == [.closeReceived(code: nil, reason: "")])
        #expect(frame.outbound == [0x88, 0x00])
    }
}
