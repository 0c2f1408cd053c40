import Testing
import WebSocketCore

/// The core's client and server sides talking to each other in memory, for every version: the
/// handshake, messages both ways (fragmented, compressed), and the closing handshake.
@Suite struct ClientServerTests {
    struct Pair {
        var client: ClientSession
        var server: ServerSession
        var serverAccepted: AcceptedHandshake
    }

    static func connect(version: ProtocolVersion, offers: [DeflateParameters] = [], server: ServerHandshakeConfiguration = .init(),
                        seed: UInt64 = 1) throws -> Pair {
        var client = ClientSession(configuration: ClientHandshakeConfiguration(
            version: version, host: "localhost:11345", target: "/serveur.php", origin: "null", deflateOffers: offers),
                                   random: SeededRandom(seed: seed))
        var serverSession = ServerSession(configuration: server)
        guard case .request(let accepted)? = serverSession.receive(client.request).handshake else {
            throw FixtureError("server did not accept \(version)")
        }
        guard case .opened? = client.receive(serverSession.accept().outbound).handshake else {
            throw FixtureError("client did not accept the answer for \(version)")
        }
        return Pair(client: client, server: serverSession, serverAccepted: accepted)
    }

    static func deliver(_ bytes: [UInt8], to session: inout some WebSocketSession) -> SessionOutput {
        session.receive(bytes)
    }

    @Test(arguments: ProtocolVersion.allCases)
    func messagesFlowBothWaysAndCloseCleanly(version: ProtocolVersion) throws {
        var pair = try Self.connect(version: version)
        #expect(pair.serverAccepted.version == version)
        let texts = ["Bonjour", "", "h\u{e9}llo \u{20ac} \u{1D11E}", String(repeating: "x", count: 70_000)]
        for text in texts {
            let toServer = pair.server.receive(try pair.client.send(.text(text)))
            #expect(toServer.events == [.message(.text(text))])
            let toClient = pair.client.receive(try pair.server.send(.text(text)))
            #expect(toClient.events == [.message(.text(text))])
        }
        if version.framing == .rfc6455 {
            let binary: [UInt8] = [0, 1, 2, 0xFF]
            #expect(pair.server.receive(try pair.client.send(.binary(binary))).events == [.message(.binary(binary))])
        } else {
            #expect(throws: WebSocketError.binaryNotSupportedByFraming) { _ = try pair.server.send(.binary([1])) }
        }
        // Closing handshake started by the client.
        let close = try pair.client.close(code: .goingAway, reason: "bye")
        let serverSide = pair.server.receive(close.outbound)
        if version == .hixie75 {
            #expect(close.closeTransport && close.outbound.isEmpty)   // hixie-75: no closing handshake
            return
        }
        #expect(serverSide.closeTransport)
        let clientSide = pair.client.receive(serverSide.outbound)
        #expect(pair.server.state == .closed && pair.client.state == .closed)
        if version.framing == .rfc6455 {
            #expect(serverSide.events == [.closeReceived(code: .goingAway, reason: "bye")])
            #expect(clientSide.events == [.closeReceived(code: .goingAway, reason: "")])
        } else {
            #expect(serverSide.events == [.closeReceived(code: nil, reason: "")])
        }
    }

    /// Every window size and context mode both ways, compressed messages really compressed.
    @Test(arguments: 9...15, [false, true])
    func deflateRoundTrips(windowBits: Int, noContextTakeover: Bool) throws {
        let offer = DeflateParameters(serverNoContextTakeover: noContextTakeover, clientNoContextTakeover: noContextTakeover,
                                      serverMaxWindowBits: windowBits, clientMaxWindowBits: .value(windowBits))
        var pair = try Self.connect(version: .rfc6455, offers: [offer])
        #expect(pair.serverAccepted.deflate?.agreement == DeflateAgreement(
            serverNoContextTakeover: noContextTakeover, clientNoContextTakeover: noContextTakeover,
            serverMaxWindowBits: windowBits, clientMaxWindowBits: windowBits))
        let text = String(repeating: "le chat de la passerelle ", count: 400)
        for _ in 0..<3 {
            let wire = try pair.client.send(.text(text))
            #expect(wire[0] == 0xC1 && wire.count < text.utf8.count / 4, "compressed, RSV1 set")
            #expect(pair.server.receive(wire).events == [.message(.text(text))])
            let back = try pair.server.send(.text(text))
            #expect(back[0] == 0xC1)
            #expect(pair.client.receive(back).events == [.message(.text(text))])
        }
    }

    @Test func fragmentedCompressedMessageFromClient() throws {
        var pair = try Self.connect(version: .rfc6455, offers: [ClientHandshakeConfiguration.browserDeflateOffer])
        let text = String(repeating: "fragment ", count: 1000)
        let wire = try pair.client.send(.text(text), fragmentSize: 7)
        // Deliver one byte at a time: same single message.
        var events: [ConnectionEvent] = []
        for byte in wire { events += pair.server.receive([byte]).events }
        #expect(events == [.message(.text(text))])
    }

    @Test func pingIsAnsweredWithPong() throws {
        var pair = try Self.connect(version: .rfc6455)
        let output = pair.server.receive(try pair.client.ping([1, 2, 3]))
        #expect(output.events == [.ping([1, 2, 3])])
        #expect(pair.client.receive(output.outbound).events == [.pong([1, 2, 3])])
    }

    @Test func serverFailsWithCloseCodeThenIgnoresInput() throws {
        var pair = try Self.connect(version: .rfc6455)
        let bad = FrameEncoder.frame(opcode: .text, payload: [0xFF], maskingKey: 0x01020304)
        let output = pair.server.receive(bad)
        #expect(output.events == [.failed(.invalidUTF8)] && output.closeTransport)
        #expect(pair.client.receive(output.outbound).events.first == .closeReceived(code: .invalidPayloadData, reason: WebSocketError.invalidUTF8.reason))
        #expect(throws: WebSocketError.connectionNotOpen) { _ = try pair.client.send(.text("late")) }
        let late = FrameEncoder.frame(opcode: .text, payload: Array("late".utf8), maskingKey: 7)
        #expect(pair.server.receive(late).connection == ConnectionOutput())
    }
}
