import Bridge
import Capture
import Conformance
import Foundation
import Gateway
import Testing
import WebSocketCore

/// `serve --route`: real clients through Passerelle to real backends, both directions — Perl
/// Protocol::WebSocket's hixie-76 client to Python websockets and node ws backends, Python
/// websockets clients to a Perl hixie-76 backend — and what a client is told when the backend
/// refuses, answers wrongly, is slow or is not there.
@Suite(.ownThread) struct BridgePeerTests {
    static func gateway(routes: [String], options: [String] = [],
                        adjust: (inout GatewayConfiguration) -> Void = { _ in }) throws -> TestGateway {
        var configuration = GatewayConfiguration(port: 0)
        configuration.bridges = try BridgeRoute.table(routes: routes, options: options)
        adjust(&configuration)
        return try TestGateway(configuration)
    }

    /// Tests/Peers/python_bridge_client.py's JSON line.
    struct ClientResult: Decodable {
        struct Close: Decodable { var code: Int; var reason: String }
        var status: Int
        var subprotocol: String?
        var extensions: String?
        var received: [Received]
        var close: Close?
        var timeout: Bool?

        enum Received: Decodable, Equatable {
            case text(String), binary(String)
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) { self = .text(text); return }
                self = .binary(try container.decode([String: String].self)["binary"] ?? "")
            }
        }

        var texts: [String] { received.compactMap { if case .text(let text) = $0 { text } else { nil } } }
    }

    static func pythonClient(_ url: String, _ arguments: [String]) throws -> ClientResult {
        let run = try PeerProcess.run("python3", [PeerProcess.script("python_bridge_client.py"), url] + arguments, timeout: 40)
        guard run.status == 0, let line = run.lines.last else { throw PeerError("python client: \(run)") }
        return try JSONDecoder().decode(ClientResult.self, from: Data(line.utf8))
    }

    static func pythonBackend(_ arguments: [String] = []) throws -> BackgroundPeer {
        try BackgroundPeer("python3", [PeerProcess.script("python_bridge_backend.py")] + arguments)
    }

    static func hixieClient(_ url: String, _ messages: [String]) throws -> PeerProcess.Result {
        try PeerProcess.run("perl", [PeerProcess.script("hixie76_client.pl"), url] + messages, timeout: 40)
    }

    // MARK: Legacy clients to modern backends

    @Test(arguments: ["python", "node"])
    func aHixie76ClientReachesAModernBackend(backend: String) throws {
        let server = backend == "python" ? try Self.pythonBackend()
                                         : try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.benchServer("node_ws_echo.js")])
        let gateway = try Self.gateway(routes: ["/legacy=ws://127.0.0.1:\(server.port)/app"])
        let run = try Self.hixieClient(gateway.url("/legacy"), ["Bonjour", "été — €", String(repeating: "x", count: 70_000)])
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.contains("message: Bonjour") && run.lines.contains("message: été — €"), "\(run)")
        #expect(run.lines.contains("message: " + String(repeating: "x", count: 70_000)), "a message over 64 KiB crosses whole")
        #expect(run.lines.last == "closing-handshake: ok", "0xFF 0x00 answered once the backend closed (1000)")
        let closed = gateway.closedConnections(atLeast: 1)
        #expect(closed.first?.version == .hixie76 && closed.first?.messagesIn == 3 && closed.first?.messagesOut == 3, "\(closed)")
    }

    @Test func theBackendSeesWhoTheClientIsAndNothingHopByHop() throws {
        let server = try Self.pythonBackend()
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(server.port)/app"])
        let result = try Self.pythonClient(gateway.url("/app"), ["--close", "1000", "headers"])
        let headers = try JSONDecoder().decode([String: [String]].self, from: Data(try #require(result.texts.first).utf8))
        #expect(headers["x-forwarded-for"] == ["127.0.0.1"])
        #expect(headers["x-forwarded-proto"] == ["ws"])
        #expect(headers["x-forwarded-host"] == ["127.0.0.1:\(gateway.port)"])
        #expect(headers["forwarded"] == ["for=127.0.0.1;proto=ws;host=\"127.0.0.1:\(gateway.port)\""])
        #expect(headers["host"] == ["127.0.0.1:\(server.port)"], "the backend's own Host")
        #expect(headers["user-agent"]?.first?.hasPrefix("Python") == true, "User-Agent passed through")
        #expect(headers["sec-websocket-extensions"] == nil, "the upstream leg offers no deflate of the client's")
    }

    // MARK: Modern clients to a legacy backend

    @Test func aModernClientReachesAHixie76Backend() throws {
        let server = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let gateway = try Self.gateway(routes: ["/tv=hixie76+ws://127.0.0.1:\(server.port)/serveur.php"])
        let result = try Self.pythonClient(gateway.url("/tv"), ["--close", "1000", "Bonjour", "{\"action\":\"ctrl/chat/out\",\"message\":\"été\"}"])
        #expect(result.status == 101)
        #expect(result.extensions?.hasPrefix("permessage-deflate") == true, "the client's leg negotiates deflate on its own")
        #expect(result.texts == ["Bonjour", "{\"action\":\"ctrl/chat/out\",\"message\":\"été\"}"])
        #expect(result.close?.code == 1000, "the backend's 0xFF 0x00 is a normal closure")
    }

    @Test func binaryTowardsAHixieBackendFollowsTheRoutePolicy() throws {
        let closing = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let refused = try Self.gateway(routes: ["/tv=hixie76+ws://127.0.0.1:\(closing.port)/"])
        let closed = try Self.pythonClient(refused.url("/tv"), ["--binary", "octets"])
        #expect(closed.received.isEmpty && closed.close?.code == 1003, "binary=close (default): 1003 \(String(describing: closed.close))")

        let echoing = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let asText = try Self.gateway(routes: ["/tv=hixie76+ws://127.0.0.1:\(echoing.port)/"], options: ["/tv=binary=utf8"])
        let converted = try Self.pythonClient(asText.url("/tv"), ["--binary", "--close", "1000", "été"])
        #expect(converted.texts == ["été"], "binary=utf8: valid UTF-8 goes as text, and comes back as text")
    }

    /// Today's Chromium (RFC 6455, permessage-deflate, from a file:// page like the tutorial's)
    /// through a route to faye-websocket speaking hixie-76, then hixie-75: every echo back, text
    /// stays text, the close completes.
    @Test(arguments: ["hixie76+ws", "hixie75+ws"])
    func chromiumReachesAHixieBackend(scheme: String) throws {
        let faye = try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("faye_echo_server.js")])
        let gateway = try Self.gateway(routes: ["/tv=\(scheme)://127.0.0.1:\(faye.port)/"])
        let page = PeerProcess.scripts.appendingPathComponent("chromium_echo.html").absoluteString + "?text-only#" + gateway.url("/tv")
        let result = try PeerProcess.run("python3", [PeerProcess.script("chromium_page.py"), page, "--wait-for", "RESULT"], timeout: 60)
        #expect(result.stdout.contains(#"RESULT {"ok":true,"extensions":"permessage-deflate; server_no_context_takeover","received":3}"#),
                "the client's leg compresses, the hixie backend's cannot: \(result)")
        let closed = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(closed.version == .rfc6455 && closed.messagesIn == 3 && closed.messagesOut == 3 && closed.closeCode == .normalClosure,
                "\(closed)")
    }

    // MARK: A backend of the phpwebsocket family

    struct ChatPair: Decodable {
        var a: [String]
        var b: [String]
        var extensions: [String?]
    }

    static func chatPair(_ url: String, _ lines: [String]) throws -> ChatPair {
        let run = try PeerProcess.run("python3", [PeerProcess.script("python_chat_pair.py"), url] + lines, timeout: 40)
        guard run.status == 0, let line = run.lines.last else { throw PeerError("chat pair: \(run)") }
        return try JSONDecoder().decode(ChatPair.self, from: Data(line.utf8))
    }

    /// Tests/Peers/phpwebsocket_server.php dies on a frame split across reads, two frames in one
    /// read, a late key3 or an 0xFF 0x00: `phpwebsocket` keeps it up through two chats and their closes.
    @Test func twoModernClientsChatWithAPhpwebsocketServerThatStaysUp() throws {
        let server = try BackgroundPeer("php", [PeerProcess.script("phpwebsocket_server.php")])
        let gateway = try Self.gateway(routes: ["/serveur.php=hixie76+ws://127.0.0.1:\(server.port)/serveur.php"],
                                       options: ["/serveur.php=phpwebsocket"])
        let lines = ["Bonjour", "Salut, ça va ?", "Très bien — et toi ?", "{\"JSON\": \"dans le message\"}"]
        for round in 0..<2 {
            let chat = try Self.chatPair(gateway.url("/serveur.php"), lines)
            let expected = lines.enumerated().map { "client\($0.offset % 2): \($0.element)" }
            #expect(chat.a == expected && chat.b == expected, "round \(round): \(chat)")
            #expect(chat.extensions.allSatisfy { $0?.hasPrefix("permessage-deflate") == true }, "the clients' legs compress")
        }
        #expect(server.process.isRunning, "the backend survived both rounds, their handshakes and their closes")
    }

    /// The chat page Passerelle serves at `/`, in Chromium, with `/chat` routed to the
    /// phpwebsocket-family server: the page speaks the tutorial's protocol over RFC 6455 with
    /// deflate, the server hixie-76, and every line comes back through it.
    @Test func theServedChatPageTalksToAPhpwebsocketServerThroughARoute() throws {
        let server = try BackgroundPeer("php", [PeerProcess.script("phpwebsocket_server.php")])
        let gateway = try Self.gateway(routes: ["/chat=hixie76+ws://127.0.0.1:\(server.port)/serveur.php"], options: ["/chat=phpwebsocket"])
        let lines = ["Bonjour depuis Chromium", "le serveur est en PHP", "\u{e7}a passe par la passerelle"]
        let chromium = try RoomPeerTests.startChromium("http://127.0.0.1:\(gateway.port)", pseudo: "Chromium", members: 0,
                                                       total: lines.count, saying: lines)
        let result = chromium.finish(timeout: 60)
        #expect(result.status == 0, "\(result)")
        let shown = try RoomPeerTests.chromiumLines(result)
        #expect(shown.map(\.message) == lines && shown.allSatisfy { $0.from == "Chromium" }, "\(shown)")
        #expect(server.process.isRunning, "the PHP server is still up")
    }

    /// Without the switches the conversation breaks, one of two ways depending on how key3 meets the
    /// server's read: it arrives with the head, the handshake passes and the closing 0xFF 0x00 (or
    /// key3 read as a frame) kills the server; or it arrives after it, the server answers a challenge
    /// computed without it, and the gateway refuses the upstream (502). Either is why the options exist.
    @Test func withoutTheLegacySwitchesThePhpwebsocketServerBreaks() throws {
        let server = try BackgroundPeer("php", [PeerProcess.script("phpwebsocket_server.php")])
        let gateway = try Self.gateway(routes: ["/serveur.php=hixie76+ws://127.0.0.1:\(server.port)/serveur.php"])
        let chat = try? Self.chatPair(gateway.url("/serveur.php"), ["Bonjour"])
        let deadline = Date().addingTimeInterval(5)
        while server.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!server.process.isRunning || chat == nil,
                "the server survived a whole conversation without the switches: \(String(describing: chat))")
    }

    // MARK: Endings and failures

    @Test func closeCodesAndReasonsCrossEndToEnd() throws {
        let server = try Self.pythonBackend()
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(server.port)/"])
        let fromBackend = try Self.pythonClient(gateway.url("/app"), ["close:4001:au revoir"])
        #expect(fromBackend.close?.code == 4001 && fromBackend.close?.reason == "au revoir", "\(String(describing: fromBackend.close))")
        let lost = try Self.pythonClient(gateway.url("/app"), ["drop"])
        #expect(lost.close?.code == 1014, "the backend vanished: 1014 bad gateway, never 1006 on the wire")
    }

    /// node ws on both sides: private-use codes and their reasons cross unchanged both ways.
    @Test func nodeToNodeKeeps4xxxCodesBothWays() throws {
        let server = try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("node_bridge_peer.js"), "server"])
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(server.port)/"])
        func client(_ arguments: [String]) throws -> ClientResult {
            let run = try PeerProcess.run("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("node_bridge_peer.js"), "client",
                                                  gateway.url("/app")] + arguments, timeout: 30)
            return try JSONDecoder().decode(ClientResult.self, from: Data(("{\"status\":101," + (run.lines.last ?? "").dropFirst()).utf8))
        }
        let fromBackend = try client(["Bonjour", "close:4404:introuvable"])
        #expect(fromBackend.texts == ["Bonjour"] && fromBackend.close?.code == 4404 && fromBackend.close?.reason == "introuvable",
                "\(String(describing: fromBackend.close))")
        let fromClient = try client(["--close", "4002:à bientôt", "Bonjour"])
        #expect(fromClient.close?.code == 4002, "the backend answers with the client's code (ws echoes it), the relay passes it back")
    }

    @Test func theSubprotocolIsTheBackendsChoice() throws {
        let server = try Self.pythonBackend(["--subprotocols", "chat.v2,chat.v1"])
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(server.port)/"])
        let chosen = try Self.pythonClient(gateway.url("/app"), ["--subprotocol", "chat.v1", "--subprotocol", "chat.v2", "--close", "1000", "x"])
        #expect(chosen.subprotocol == "chat.v2", "the backend prefers chat.v2")
        let none = try Self.pythonClient(gateway.url("/app"), ["--subprotocol", "passerelle.chat.v1", "--close", "1000", "x"])
        #expect(none.status == 400, "the room's own subprotocol is not the backend's: its refusal (400) is passed on")
    }

    @Test func aFailedBackendGivesItsStatus() throws {
        let refusing = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "refuse403"])
        let wrong = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "badaccept"])
        let silent = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "silent"])
        let wrongMD5 = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "badmd5"])
        let nobody = try PeerProcess.freePort()
        let gateway = try Self.gateway(routes: ["/refuse=ws://127.0.0.1:\(refusing.port)/", "/wrong=ws://127.0.0.1:\(wrong.port)/",
                                                "/silent=ws://127.0.0.1:\(silent.port)/", "/nobody=ws://127.0.0.1:\(nobody)/",
                                                "/md5=hixie76+ws://127.0.0.1:\(wrongMD5.port)/"]) {
            $0.upstreamTimeoutSeconds = 1
        }
        #expect(try Self.pythonClient(gateway.url("/refuse"), []).status == 403)
        #expect(try Self.pythonClient(gateway.url("/wrong"), []).status == 502)
        #expect(try Self.pythonClient(gateway.url("/md5"), []).status == 502, "a hixie-76 backend's wrong MD5")
        #expect(try Self.pythonClient(gateway.url("/silent"), []).status == 504)
        #expect(try Self.pythonClient(gateway.url("/nobody"), []).status == 503)
        let hixie = try Self.hixieClient(gateway.url("/nobody"), ["Bonjour"])
        #expect(hixie.status != 0 && !hixie.lines.contains("handshake: ok"), "a hixie client has its connection closed: \(hixie)")
        let refusals = gateway.closedConnections(atLeast: 6).compactMap(\.refusal)
        #expect(refusals.count == 6, "\(refusals)")
    }

    // MARK: Recording

    /// `serve --record`: a bridged pair's file holds both legs, and `decode` reads each in its own
    /// framing — the hixie-76 client's and the RFC 6455 backend's.
    @Test func aRecordedPairShowsBothLegs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-bridge-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Self.pythonBackend()
        let gateway = try Self.gateway(routes: ["/legacy=ws://127.0.0.1:\(server.port)/app"]) { $0.recordDirectory = directory.path }
        let run = try Self.hixieClient(gateway.url("/legacy"), ["Bonjour des deux côtés"])
        #expect(run.status == 0, "\(run)")
        _ = gateway.closedConnections(atLeast: 1)
        Thread.sleep(forTimeInterval: 0.5)   // the upstream leg ends after the client's
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        #expect(files.count == 1)
        var decoder = CaptureDecoder(options: .init(maxPayload: 1 << 20))
        let records = try decoder.feed(Array(Data(contentsOf: try #require(files.first)))) + decoder.finish()
        let connections = records.compactMap { if case .connection(let c) = $0 { return c } else { return nil } }
        #expect(connections.map(\.version).sorted { ($0 ?? "") < ($1 ?? "") } == ["hixie-76", "rfc6455"],
                "the backend's answer comes first, the client's after it: \(connections)")
        let texts = records.compactMap { if case .message(let m) = $0, m.kind == "text" { return "\(m.connection) \(m.direction) \(m.text ?? "")" } else { return nil } }
        #expect(texts.filter { $0.hasSuffix("Bonjour des deux côtés") }.count == 4, "each leg, each way: \(texts)")
        #expect(!records.contains { if case .violation = $0 { return true } else { return false } }, "\(records)")
    }

    /// A message over the size limit closes both legs: 1009 to the client that sent it (the
    /// core's), 1009 "message too big" to the backend.
    @Test func aMessageOverTheLimitClosesBothLegs() throws {
        let server = try Self.pythonBackend()
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(server.port)/"]) { $0.limits.maxMessageSize = 1000 }
        let result = try Self.pythonClient(gateway.url("/app"), ["--no-deflate", "petit", String(repeating: "x", count: 2000)])
        #expect(result.texts == ["petit"] && result.close?.code == 1009, "\(result)")
        #expect(gateway.closedConnections(atLeast: 1).first?.closeCode == .messageTooBig)
    }

    /// SIGTERM's drain: both legs of a pair get their closing handshake — 1001 to the RFC 6455
    /// client, 0xFF 0x00 to the hixie-76 backend, which answers it.
    @Test func aShutdownClosesBothLegs() throws {
        let backend = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let gateway = try Self.gateway(routes: ["/tv=hixie76+ws://127.0.0.1:\(backend.port)/"])
        let client = try PeerProcess.start("python3", [PeerProcess.script("python_bridge_client.py"), gateway.url("/tv"), "avant", "sleep:5"])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(gateway.server.shutdownGracefully())
        let run = client.finish(timeout: 20)
        let result = try JSONDecoder().decode(ClientResult.self, from: Data((run.lines.last ?? "").utf8))
        #expect(result.texts == ["avant"] && result.close?.code == 1001, "\(run)")
        let deadline = Date().addingTimeInterval(5)
        while backend.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!backend.process.isRunning, "the hixie-76 backend got 0xFF 0x00, answered it and ended")
    }

    // MARK: Keepalive

    /// The upstream leg pings a quiet RFC 6455 backend (which answers), so the pair outlives the
    /// idle timeout; a quiet hixie backend, which cannot be pinged, is closed after its own delay
    /// and the client is told 1001.
    /// RFC 6455 leaves flow control to TCP: an end that stops reading makes the relay stop
    /// reading the other leg once the queue towards it is full, so the sender can push no more
    /// than that queue and the sockets' buffers; when the end reads again, every message arrives,
    /// in order. `up`: the backend stalls while the client sends; `down`: the client stalls.
    @Test(arguments: ["up", "down"])
    func aStalledEndStopsTheOtherAndLosesNothing(direction: String) throws {
        let backend = try Self.pythonBackend(["--no-deflate"])
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(backend.port)/"]) { $0.bridgeQueueBytes = 256 << 10 }
        let run = try PeerProcess.run("python3", [PeerProcess.script("python_bridge_flood.py"), gateway.url("/app"), direction, "4", "1536", "\(64 << 10)"],
                                      timeout: 90)
        struct Flood: Decodable { var sentWhileStalled: Int; var sentTotal: Int; var echoes: Int; var inOrderAndIntact: Bool }
        let flood = try JSONDecoder().decode(Flood.self, from: Data((run.lines.last ?? "").utf8))
        print("\(direction): \(flood.sentWhileStalled) of \(flood.sentTotal) bytes were pushed while the other end read nothing")
        #expect(flood.sentWhileStalled < flood.sentTotal / 2, "\(direction): \(flood.sentWhileStalled) of \(flood.sentTotal) bytes went out while the other end read nothing")
        #expect(flood.echoes == 1536 && flood.inOrderAndIntact, "\(flood)")
    }

    @Test func quietLegsArePingedOrClosed() throws {
        let modern = try Self.pythonBackend()
        let legacy = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(modern.port)/", "/tv=hixie76+ws://127.0.0.1:\(legacy.port)/"]) {
            $0.pingIntervalSeconds = 0.3
            $0.idleTimeoutSeconds = 1
            $0.upstreamHixieIdleTimeoutSeconds = 1
        }
        let pinged = try Self.pythonClient(gateway.url("/app"), ["avant", "sleep:2.5", "après", "--close", "1000"])
        #expect(pinged.texts == ["avant", "après"] && pinged.close?.code == 1000, "\(pinged)")
        let idle = try Self.pythonClient(gateway.url("/tv"), ["avant", "sleep:3"])
        #expect(idle.texts == ["avant"] && idle.close?.code == 1001 && idle.close?.reason == "upstream idle", "\(String(describing: idle.close))")
    }

    // MARK: The conformance suite through a route

    /// A relay terminates the protocol on each leg: the client meets Passerelle's own RFC 6455 and
    /// hixie implementation, the backend only the messages. So the suite through a route does no
    /// worse than against the backend alone: every case OK there is OK through the route (a
    /// message and the close after it in one write included: the client's close is answered only
    /// once the backend's echo and close are back), and nothing FAILS.
    @Test(arguments: ["python", "node"])
    func theSuiteThroughARouteIsNeverWorseThanTheBackendAlone(backend: String) throws {
        let server = backend == "python" ? try BackgroundPeer("python3", [PeerProcess.benchServer("python_websockets_echo.py")])
                                         : try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.benchServer("node_ws_echo.js")])
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(server.port)/"])
        let direct = try ServerBaselinePeerTests.run("ws://127.0.0.1:\(server.port)/", overrides: backend == "python" ? "python-websockets.json" : "node-ws.json")
        let bridged = try ServerBaselinePeerTests.run(gateway.url("/app"))
        ServerBaselinePeerTests.expectNothingFailed(bridged, "\(backend) through a route")
        let outcomes = Dictionary(uniqueKeysWithValues: bridged.map { ($0.id, $0) })
        #expect(bridged.count == direct.count)
        for alone in direct where alone.outcome == .ok {
            let through = outcomes[alone.id]
            #expect(through?.outcome == .ok, "\(alone.id): OK against \(backend) alone, \(through?.outcome.rawValue ?? "missing") through the route: \(through?.reason ?? "")")
        }
    }

    @Test func theHixieCasesPassThroughARouteToAHixieBackend() throws {
        let faye = try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("faye_echo_server.js")])
        let gateway = try Self.gateway(routes: ["/tv=hixie76+ws://127.0.0.1:\(faye.port)/"])
        let results = try ServerBaselinePeerTests.run(gateway.url("/tv"), cases: "hixie.*")
        #expect(results.count >= 20)
        for result in results {
            #expect(result.outcome == .ok || result.outcome == .informational, "\(result.id): \(result.outcome.rawValue) — \(result.reason)")
        }
    }

    // MARK: The binary

    /// `serve --config FILE`: the file's flags, the command line's on top; a bad line is a usage error.
    @Test func theBinaryTakesItsRoutesFromAConfigFile() throws {
        let backend = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let port = try PeerProcess.freePort()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-\(port).conf")
        try """
            # a legacy backend behind Passerelle
            route /tv=hixie76+ws://127.0.0.1:\(backend.port)/serveur.php
            route-options /tv=binary=utf8
            port 1

            log-level info
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let server = try PeerProcess.start(GatewayLifecycleTests.binary.path, ["serve", "--config", file.path, "--port", "\(port)"])
        var result: ClientResult?
        for _ in 0..<100 where result?.status != 101 {   // up to 10 s: the binary starts
            Thread.sleep(forTimeInterval: 0.1)
            result = try? Self.pythonClient("ws://127.0.0.1:\(port)/tv", ["--binary", "--close", "1000", "été"])
        }
        #expect(result?.texts == ["été"], "the file's route and its option, the command line's port")
        kill(server.process.processIdentifier, SIGKILL)
        _ = server.finish(timeout: 10)

        try "route /tv\n".write(to: file, atomically: true, encoding: .utf8)
        let refused = try PeerProcess.run(GatewayLifecycleTests.binary.path, ["serve", "--config", file.path])
        #expect(refused.status == 64 && refused.stderr.contains("expected PATH=VALUE"), "\(refused)")
        try "--port 80\n".write(to: file, atomically: true, encoding: .utf8)
        let dashed = try PeerProcess.run(GatewayLifecycleTests.binary.path, ["serve", "--config", file.path])
        #expect(dashed.status == 64 && dashed.stderr.contains(":1: write a flag without its --"), "\(dashed)")
    }

    static func retries(_ gateway: TestGateway) -> Double? {
        GatewayLifecycleTests.metric(#"passerelle_bridge_upstream_retries_total{route="/app"}"#, port: gateway.port)
    }

    @Test func aSecondUpstreamIsTriedWhenTheFirstIsDown() throws {
        let server = try Self.pythonBackend()
        let nobody = try PeerProcess.freePort()
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(nobody)/", "/app=ws://127.0.0.1:\(server.port)/"]) {
            $0.upstreamHealthIntervalSeconds = 0
        }
        for _ in 0..<2 {
            let result = try Self.pythonClient(gateway.url("/app"), ["--close", "1000", "Bonjour"])
            #expect(result.texts == ["Bonjour"], "round robin, then the next on a connect failure")
        }
        #expect(Self.retries(gateway) == 1, "the pair whose turn was the dead upstream tried the next")
    }

    /// With health checks, an upstream that is down is tried last (no client pays a failed
    /// connect), and is taken again once a check connects.
    @Test func anUpstreamThatIsDownIsTriedLastUntilItIsBack() throws {
        let server = try Self.pythonBackend()
        let laterPort = try PeerProcess.freePort()
        let gateway = try Self.gateway(routes: ["/app=ws://127.0.0.1:\(laterPort)/", "/app=ws://127.0.0.1:\(server.port)/"]) {
            $0.upstreamHealthIntervalSeconds = 0.2
        }
        let later = #"passerelle_bridge_upstream_up{route="/app",upstream="ws://127.0.0.1:\#(laterPort)/"}"#
        func waitFor(_ value: Double) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while GatewayLifecycleTests.metric(later, port: gateway.port) != value && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            return GatewayLifecycleTests.metric(later, port: gateway.port) == value
        }
        #expect(waitFor(0), "the check found it down")
        for _ in 0..<4 {
            #expect(try Self.pythonClient(gateway.url("/app"), ["--close", "1000", "Bonjour"]).texts == ["Bonjour"])
        }
        #expect(Self.retries(gateway) == 0, "no pair tried the upstream known to be down")
        let revived = try Self.pythonBackend(["--port", "\(laterPort)"])
        #expect(revived.port == laterPort && waitFor(1), "the check found it back")
    }
}
