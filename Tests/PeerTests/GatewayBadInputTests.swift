import Foundation
import Testing
import Gateway
import WebSocketCore

/// Bad input end to end: each gets its documented answer, and the gateway keeps serving others.
@Suite(.serialized, .ownThread) struct GatewayBadInputTests {
    static func gateway(_ tweak: (inout GatewayConfiguration) -> Void = { _ in }) throws -> TestGateway {
        var configuration = GatewayConfiguration(port: 0)
        configuration.handshakeTimeoutSeconds = 1
        configuration.limits = ConnectionLimits(maxFrameSize: 64 * 1024, maxMessageSize: 256 * 1024)
        tweak(&configuration)
        return try TestGateway(configuration)
    }

    /// An RFC 6455 member opened with the core's client.
    static func member(_ gateway: TestGateway, path: String = "/chat", deflate: Bool = false, subprotocols: [String] = [])
        throws -> (LoopbackClient, ClientSession) {
        let client = try LoopbackClient(port: gateway.port)
        let session = try client.open(ClientHandshakeConfiguration(
            host: "127.0.0.1:\(gateway.port)", target: path, subprotocols: subprotocols,
            deflateOffers: deflate ? [ClientHandshakeConfiguration.browserDeflateOffer] : []), seed: 9)
        return (client, session)
    }

    /// Reads until the server's close frame; returns its code, and whether TCP then closed.
    static func closeCode(_ client: LoopbackClient, _ session: inout ClientSession) throws -> (CloseCode?, Bool) {
        let (_, events) = try client.receiveMessages(Int.max, on: &session)
        let code = events.compactMap { event -> CloseCode?? in
            if case .closeReceived(let code, _) = event { return .some(code) }
            return nil
        }.first ?? nil
        let eof = (try? client.receive()) ?? nil
        return (code, eof == nil)
    }

    /// The gateway still answers a well-behaved peer.
    static func stillServes(_ gateway: TestGateway) throws {
        let result = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(), "--sizes", "5,500"])
        #expect(result.status == 0, "the gateway stopped serving: \(result)")
    }

    @Test func truncatedHandshakeIsDroppedAtTheDeadline() throws {
        let gateway = try Self.gateway()
        let gone = try LoopbackClient(port: gateway.port)
        try gone.send(Array("GET /chat HTTP/1.1\r\nHost: x\r\nUpgr".utf8))   // then vanishes
        let slow = try LoopbackClient(port: gateway.port)
        let start = Date()
        try slow.send(Array("GET /chat HTTP/1.1\r\nHost: x\r\nUpgr".utf8))
        let answer = try slow.receive() ?? []
        let elapsed = Date().timeIntervalSince(start)
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        #expect(elapsed >= 0.9 && elapsed < 3, "dropped after \(elapsed) s (limit 1 s)")
        #expect(try slow.receive() == nil)
        try Self.stillServes(gateway)
    }

    /// Slowloris: a byte every 0.25 s is progress, but the deadline is for the whole handshake,
    /// not between bytes — the trickle is answered 408 at the deadline.
    @Test func tricklingHandshakeIsDroppedAtTheDeadline() throws {
        let gateway = try Self.gateway()
        let client = try LoopbackClient(port: gateway.port)
        let start = Date()
        var sent = 0
        var answer: [UInt8] = []
        for byte in Array("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n".utf8) {
            guard (try? client.send([byte])) != nil else { break }
            sent += 1
            Thread.sleep(forTimeInterval: 0.25)
            if Date().timeIntervalSince(start) > 1.5 { break }
        }
        while let more = try? client.receive() { answer += more }
        let elapsed = Date().timeIntervalSince(start)
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 408 "), "\(String(decoding: answer, as: UTF8.self))")
        #expect(sent <= 6 && elapsed < 3, "\(sent) bytes trickled over \(elapsed) s against a 1 s limit")
        #expect(gateway.closedConnections(atLeast: 1).first?.failure == .handshakeTimeout)
        try Self.stillServes(gateway)
    }

    /// RFC 6585 §5: a head past `--max-head-bytes`, or with more lines than `--max-header-count`,
    /// is answered 431 as soon as the limit is crossed, without reading the rest.
    @Test(arguments: ["bytes", "count"])
    func oversizeHandshakeHeadGets431(_ limit: String) throws {
        let gateway = try Self.gateway {
            $0.handshake.headLimits = HTTPHeadLimits(maxHeadBytes: 2048, maxHeaderCount: 20)
        }
        let client = try LoopbackClient(port: gateway.port)
        var head = "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        head += limit == "bytes" ? "Cookie: " + String(repeating: "c", count: 4096) + "\r\n"
                                 : (0..<30).map { "X-Filler-\($0): 1\r\n" }.joined()
        try? client.send(Array((head + "\r\n").utf8))
        var answer: [UInt8] = []
        while let more = try? client.receive() { answer += more }
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 431 "), "\(String(decoding: answer, as: UTF8.self))")
        try Self.stillServes(gateway)
    }

    @Test func hixie76ClientThatNeverSendsKey3GetsTimedOut() throws {
        let gateway = try Self.gateway()
        let client = try LoopbackClient(port: gateway.port)
        try client.send(Array(("GET /serveur.php HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nOrigin: null\r\n"
                               + "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n").utf8))
        let answer = String(decoding: try client.receive() ?? [], as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
        let stats = gateway.closedConnections(atLeast: 1)
        #expect(stats.first?.failure == .handshakeTimeout)
        try Self.stillServes(gateway)
    }

    @Test(arguments: [
        ("oversize frame", 1009),
        ("oversize message in fragments", 1009),
        ("invalid UTF-8", 1007),
        ("unmasked frame", 1002),
        ("reserved opcode", 1002),
    ])
    func badFrameGetsItsCloseCode(kind: String, code: UInt16) throws {
        let gateway = try Self.gateway()
        var (client, connection) = try Self.member(gateway, path: "/echo")
        let key: UInt32 = 0x1234_5678
        let bytes: [UInt8]
        switch kind {
        case "oversize frame":
            bytes = FrameEncoder.encode(FrameHeader(opcode: .binary, maskingKey: key, payloadLength: 64 * 1024 + 1), payload: [])
        case "oversize message in fragments":
            let part = [UInt8](repeating: 0x61, count: 60 * 1024)
            bytes = (0..<5).flatMap { i in FrameEncoder.frame(opcode: i == 0 ? .text : .continuation, payload: part, fin: i == 4, maskingKey: key) }
        case "invalid UTF-8":
            bytes = FrameEncoder.frame(opcode: .text, payload: [0x6F, 0x6B, 0xC0, 0xAF], maskingKey: key)
        case "unmasked frame":
            bytes = FrameEncoder.frame(opcode: .text, payload: Array("hi".utf8))
        default:
            bytes = FrameEncoder.frame(opcode: Opcode(0x5), payload: [], maskingKey: key)
        }
        try client.send(bytes)
        let (received, closed) = try Self.closeCode(client, &connection)
        #expect(received == CloseCode(code), "\(kind)")
        #expect(closed, "TCP closed after the close frame")
        try Self.stillServes(gateway)
    }

    @Test func deflateBombIsStoppedAtTheMessageLimit() throws {
        let gateway = try Self.gateway()
        let (client, connectionValue) = try Self.member(gateway, path: "/echo", deflate: true)
        var connection = connectionValue
        // 64 MiB of zeros compress to ~64 KiB, under the 64 KiB frame limit once split.
        let bomb = try Deflater(windowBits: 15).compress([UInt8](repeating: 0, count: 64 << 20))
        let key: UInt32 = 0x0BAD_F00D
        let pieces = stride(from: 0, to: bomb.count, by: 32 * 1024).map { Array(bomb[$0..<min($0 + 32 * 1024, bomb.count)]) }
        var bytes: [UInt8] = []
        for (i, piece) in pieces.enumerated() {
            bytes += FrameEncoder.frame(opcode: i == 0 ? .binary : .continuation, payload: piece, fin: i == pieces.count - 1,
                                        rsv1: i == 0, maskingKey: key)
        }
        try? client.send(bytes)
        let (received, closed) = try Self.closeCode(client, &connection)
        #expect(received == .messageTooBig)
        #expect(closed)
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.failure == .messageTooLarge(limit: 256 * 1024))
        try Self.stillServes(gateway)
    }

    @Test func demoStopAndGarbageNeitherStopTheServerNorReachOthers() throws {
        let gateway = try Self.gateway()
        var (speaker, speakerConnection) = try Self.member(gateway)
        var (listener, listenerConnection) = try Self.member(gateway)
        while try gateway.server.roomMemberCount() < 2 { Thread.sleep(forTimeInterval: 0.02) }
        for garbage in ["garbage", #"{"action":"nope","msg":"x"}"#, #"{"action":"ctrl/chat/out","msg":null}"#] {
            try speaker.send(speakerConnection.send(.text(garbage)))
        }
        try speaker.send(speakerConnection.send(.binary([1, 2, 3])))
        try speaker.send(speakerConnection.send(.text(RoomPeerTests.tutorialFrame("x", "demo.stop"))))
        try speaker.send(speakerConnection.send(.text(RoomPeerTests.tutorialFrame("x", "still here"))))
        let (messages, _) = try listener.receiveMessages(2, on: &listenerConnection)
        #expect(messages == [
            .text(#"{"action":"ws/chat/in","msg":{"from":"x","message":"demo.stop"}}"#),
            .text(#"{"action":"ws/chat/in","msg":{"from":"x","message":"still here"}}"#),
        ], "garbage is never broadcast; demo.stop is a line like any other")
        // A newcomer still gets in and is heard.
        var (late, lateConnection) = try Self.member(gateway)
        while try gateway.server.roomMemberCount() < 3 { Thread.sleep(forTimeInterval: 0.02) }
        try late.send(lateConnection.send(.text(RoomPeerTests.tutorialFrame("late", "bonjour"))))
        let (heard, _) = try late.receiveMessages(1, on: &lateConnection)
        #expect(heard == [.text(#"{"action":"ws/chat/in","msg":{"from":"late","message":"bonjour"}}"#)])
        _ = speakerConnection
    }

    @Test func plainHTTPRequests() throws {
        let gateway = try Self.gateway()
        func get(_ path: String, method: String = "GET") throws -> String {
            let client = try LoopbackClient(port: gateway.port)
            try client.send(Array("\(method) \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            var text = ""
            while let bytes = try client.receive() { text += String(decoding: bytes, as: UTF8.self) }
            return text
        }
        let page = try get("/")
        #expect(page.hasPrefix("HTTP/1.1 200 OK") && page.contains("text/html") && page.contains("passerelle.chat.v1"))
        #expect(try get("/serveur.php").hasPrefix("HTTP/1.1 426 "))
        #expect(try get("/nope").hasPrefix("HTTP/1.1 404 "))
        #expect(try get("/", method: "POST").hasPrefix("HTTP/1.1 405 "))
        let upgradeToUnknown = try LoopbackClient(port: gateway.port)
        #expect(throws: PeerError.self) { _ = try upgradeToUnknown.open(ClientHandshakeConfiguration(host: "x", target: "/nope")) }
    }

    /// `--no-legacy`: a hixie-76 request (Perl's, as a 2011 device sends it) is refused with 426
    /// naming the versions spoken; RFC 6455 clients are unaffected.
    @Test func noLegacyRefusesHixie() throws {
        var configuration = GatewayConfiguration(port: 0)
        configuration.handshake.versions = GatewayConfiguration.modernVersions
        let gateway = try TestGateway(configuration)
        let hixie = try PeerProcess.run("perl", [PeerProcess.script("hixie76_client.pl"), gateway.url("/echo"), "hello"], timeout: 20)
        #expect(hixie.status != 0, "\(hixie)")
        let client = try LoopbackClient(port: gateway.port)
        try client.send(Array("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nOrigin: null\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U".utf8))
        var answer = ""
        while let bytes = try client.receive() { answer += String(decoding: bytes, as: UTF8.self) }
        #expect(answer.hasPrefix("HTTP/1.1 426 "), "\(answer)")
        #expect(answer.contains("Sec-WebSocket-Version: 13, 8, 7"), "\(answer)")
        let modern = try LoopbackClient(port: gateway.port)
        _ = try modern.open(ClientHandshakeConfiguration(host: "x", target: "/echo"))
    }
}
