import Bench
import Foundation
import Testing
import Gateway
import WebSocketCore

/// The gateway under load and on its way out: slow consumers, SIGTERM.
@Suite(.serialized, .ownThread) struct GatewayLifecycleTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("passerelle")
    }

    /// The gateway's own figure, from `GET /metrics` (e.g. `passerelle_room_members`).
    static func metric(_ name: String, port: Int) -> Double? {
        guard let client = try? LoopbackClient(port: port),
              (try? client.send(Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))) != nil else { return nil }
        var body: [UInt8] = []
        while let more = try? client.receive() { body += more }
        let line = String(decoding: body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Waits until the room holds `count` members: they joined, whatever the machine's load.
    static func waitForRoom(port: Int, members count: Int, timeout: TimeInterval = 20) {
        let deadline = Date().addingTimeInterval(timeout)
        while (metric("passerelle_room_members", port: port) ?? 0) < Double(count) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect((metric("passerelle_room_members", port: port) ?? 0) >= Double(count), "\(count) members joined")
    }

    /// Waits until the gateway stops accepting: its listener closed (a shutdown has begun).
    static func waitForListenerClosed(port: Int, timeout: TimeInterval = 10) {
        let deadline = Date().addingTimeInterval(timeout)
        while (try? LoopbackClient(port: port)) != nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }

    static func member(port: Int) throws -> (LoopbackClient, ClientSession) {
        var client: LoopbackClient?
        for _ in 0..<400 where client == nil {   // up to 20 s: a loaded machine starts the binary slowly
            client = try? LoopbackClient(port: port)
            if client == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let connected = try #require(client)
        return (connected, try connected.open(ClientHandshakeConfiguration(host: "127.0.0.1:\(port)", target: "/chat"), seed: 9))
    }

    /// A member that stops reading is closed once 1 MiB is queued for it — by the per-member limit,
    /// or (second run) by the server-wide budget of 2 MiB with a per-member limit too large to
    /// matter: the server's memory does not follow the flood, and the other members' lines keep
    /// arriving promptly. The gateway is the real binary, so its memory is measured alone.
    @Test(arguments: [["--max-queued-bytes", "1048576"], ["--max-queued-bytes", "67108864", "--max-buffered-bytes-total", "2097152"]])
    func slowConsumerIsClosedWithoutHurtingOthers(_ limits: [String]) throws {
        let port = try PeerProcess.freePort()
        let server = try PeerProcess.start(Self.binary.path, ["serve", "--port", "\(port)", "--log-level", "info"] + limits)
        let (stuck, _) = try Self.member(port: port)
        stuck.shrinkReceiveBuffer()
        var (speaker, speakerConnection) = try Self.member(port: port)
        var (reader, readerConnection) = try Self.member(port: port)
        Self.waitForRoom(port: port, members: 3)

        let before = (ProcessSample.of(server.process.processIdentifier)?.residentBytes ?? 0)
        let line = String(repeating: "flood ", count: 8000)   // ~48 KB per line
        var worstDelay = 0.0
        let rounds = 300                                      // ~14 MB per member: more than the kernel's socket buffers
        for round in 0..<rounds {
            let sent = Date()
            try speaker.send(speakerConnection.send(.text(RoomPeerTests.tutorialFrame("speaker", "\(round) " + line))))
            let (got, _) = try reader.receiveMessages(1, on: &readerConnection)
            worstDelay = max(worstDelay, Date().timeIntervalSince(sent))
            #expect(got.count == 1)
            _ = try? speaker.receiveAvailable(on: &speakerConnection)
        }
        let growth = (ProcessSample.of(server.process.processIdentifier)?.residentBytes ?? 0) - before
        kill(server.process.processIdentifier, SIGTERM)
        let result = server.finish(timeout: 10)
        #expect(result.stderr.contains("slow consumer"), "the stuck member was not closed as a slow consumer: \(result)")
        #expect(result.stderr.contains("1008"), "\(result)")
        #expect(growth < 24 << 20, "resident memory grew by \(growth >> 20) MiB while ~\(rounds * 48 / 1024) MiB were broadcast")
        #expect(worstDelay < 1.0, "a well-behaved member waited \(worstDelay) s for a line")
        print("slow consumer: closed after its queue passed 1 MiB; gateway RSS growth \(growth >> 10) KiB; worst delay for others \(Int(worstDelay * 1000)) ms")
    }

    /// Logs never carry what members say, unless `--log-payloads` is given.
    @Test(arguments: [false, true])
    func messageBodiesAreLoggedOnlyWhenAsked(_ logPayloads: Bool) throws {
        let port = try PeerProcess.freePort()
        let server = try PeerProcess.start(Self.binary.path, ["serve", "--port", "\(port)", "--log-level", "debug"] + (logPayloads ? ["--log-payloads"] : []))
        var (client, connection) = try Self.member(port: port)
        try client.send(connection.send(.text(RoomPeerTests.tutorialFrame("secret-agent", "the password is swordfish"))))
        let (echoed, _) = try client.receiveMessages(1, on: &connection)   // the room's line back: the gateway read it
        #expect(echoed.count == 1)
        kill(server.process.processIdentifier, SIGTERM)
        let result = server.finish(timeout: 10)
        #expect(result.stderr.contains("connection closed"), "\(result)")
        #expect(result.stderr.contains("swordfish") == logPayloads, "\(result)")
    }

    /// A shutdown that outlasts its grace period — one member never answers its close — and a second
    /// SIGTERM meanwhile. The member left is dropped while every event loop still runs (its leaving
    /// the room on another loop, left to the loops' own shutdown, was a task scheduled on a dead
    /// loop), and the second signal is not a second shutdown (that one cancelled tasks and closed the
    /// listener on loops already stopped). SWIFTNIO_STRICT turns either into a crash.
    @Test func shutdownPastItsGraceAndASecondSigtermStayClean() throws {
        let port = try PeerProcess.freePort()
        let server = try PeerProcess.start(Self.binary.path, ["serve", "--port", "\(port)", "--log-level", "notice"],
                                           environment: ["SWIFTNIO_STRICT": "1"])
        let (silent, _) = try Self.member(port: port)
        Self.waitForRoom(port: port, members: 1)
        kill(server.process.processIdentifier, SIGTERM)
        Self.waitForListenerClosed(port: port)   // the first shutdown is under way
        kill(server.process.processIdentifier, SIGTERM)
        let result = server.finish(timeout: 15)
        withExtendedLifetime(silent) {}
        #expect(result.status == 0 && !result.timedOut, "\(result)")
        #expect(!result.stderr.contains("Cannot schedule tasks"), "\(result)")
        #expect(result.stderr.contains("grace period over") && result.stderr.contains("connections=1"), "\(result)")
        let shutdowns = result.stderr.split(separator: "\n").filter { $0.contains("shutting down") && !$0.contains("already shutting down") }
        #expect(shutdowns.count == 1, "one shutdown, not two: \(result)")
    }

    /// SIGTERM under load: 20 Python members (half with deflate; 4 sending 100 numbered lines/s each)
    /// and a hixie-76 TV are in the room when the gateway is told to stop. Each member gets every
    /// line queued for it and then its closing handshake (1001 "server shutting down", 0xFF 0x00
    /// for the TV): what each received is a prefix of one common order, and every line a sender got
    /// onto the wire before its close arrived reached everyone.
    @Test func sigtermUnderLoadDeliversWhatWasQueuedThenTellsEveryone() throws {
        let port = try PeerProcess.freePort()
        let server = try PeerProcess.start(Self.binary.path, ["serve", "--port", "\(port)", "--log-level", "notice"])
        var tv: LoopbackClient?
        for _ in 0..<400 where tv == nil {
            tv = try? LoopbackClient(port: port)
            if tv == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let hixie = try #require(tv)
        var tvConnection = try hixie.open(ClientHandshakeConfiguration(version: .hixie76, host: "127.0.0.1:\(port)", target: "/serveur.php"))
        let members = try PeerProcess.start("python3", [PeerProcess.script("python_drain_members.py"), "ws://127.0.0.1:\(port)/chat", "20", "4", "100"])
        // Under load: the TV has heard a good part of the stream when the gateway is told to stop.
        let (heardBefore, _) = try hixie.receiveMessages(1000, on: &tvConnection)
        kill(server.process.processIdentifier, SIGTERM)
        let (heardAfter, tvEvents) = try hixie.receiveMessages(Int.max, on: &tvConnection)
        let tvMessages = heardBefore + heardAfter
        let stopped = server.finish(timeout: 15)
        let run = members.finish(timeout: 30)
        #expect(stopped.status == 0 && !stopped.timedOut, "\(stopped)")
        #expect(run.status == 0, "\(run)")

        struct Report: Decodable {
            struct Member: Decodable { var name: String; var received: [String]; var close: Int?; var reason: String? }
            var members: [Member]
            var sent: [String: Int]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data((run.lines.last ?? "{}").utf8))
        #expect(report.members.count == 20)
        let tvLines = try RoomPeerTests.lines(fromFrames: tvMessages.map { message -> String in
            if case .text(let text) = message { return "frame: " + text }
            return "frame: {}"
        }).map(\.message)
        let longest = ([tvLines] + report.members.map(\.received)).max { $0.count < $1.count } ?? []
        for member in report.members {
            #expect(member.close == 1001 && member.reason == "server shutting down", "\(member.name) was not told: \(String(describing: member.close))")
            #expect(member.received == Array(longest.prefix(member.received.count)), "\(member.name) missed or reordered a line")
        }
        #expect(tvEvents.last == .closeReceived(code: nil, reason: ""), "the TV got 0xFF 0x00: \(tvEvents)")
        #expect(tvLines == Array(longest.prefix(tvLines.count)), "the TV missed or reordered a line")
        // A sender can lose at most the line in flight when its own close arrived (RFC 6455 §5.5.1:
        // data after a close is not processed), so everything else sent reached every member.
        let sent = report.sent.values.reduce(0, +)
        #expect(sent > 200, "the load ran: \(report.sent)")
        #expect(longest.count >= sent - report.sent.count, "\(sent) lines sent, \(longest.count) delivered")
        print("sigterm under load: \(sent) lines sent by 4 senders, each of 21 members received \(report.members.map(\.received.count).min() ?? 0)–\(longest.count), all told 1001 / 0xFF 0x00")
    }

    /// The fd limit reached (EMFILE): connections wait in the kernel's backlog, the gateway neither
    /// spins nor stops, warns once, and accepts them as soon as descriptors are free again.
    @Test func fileDescriptorExhaustionIsSurvivedAndAcceptingResumes() throws {
        let port = try PeerProcess.freePort()
        let server = try PeerProcess.start("sh", ["-c", #"ulimit -n 64 && exec "$0" "$@""#, Self.binary.path,
                                                  "serve", "--port", "\(port)", "--log-level", "info", "--handshake-timeout", "60"])
        let pid = server.process.processIdentifier
        _ = try Self.member(port: port)   // listening
        var hogs: [LoopbackClient] = try (0..<100).map { _ in try LoopbackClient(port: port) }
        Thread.sleep(forTimeInterval: 1)
        let before = ProcessSample.of(pid)?.cpuSeconds ?? 0
        Thread.sleep(forTimeInterval: 2)
        let spent = (ProcessSample.of(pid)?.cpuSeconds ?? 0) - before
        // A WebSocket client arrives while no descriptor is left: it waits in the backlog.
        let waiting = try LoopbackClient(port: port)
        let request = ClientHandshakeConfiguration(host: "127.0.0.1:\(port)", target: "/echo")
        hogs.removeAll()                  // descriptors come back
        var connection = try waiting.open(request, seed: 3)
        try waiting.send(connection.send(.text("de retour")))
        let (echo, _) = try waiting.receiveMessages(1, on: &connection)
        kill(pid, SIGTERM)
        let result = server.finish(timeout: 10)
        #expect(echo == [.text("de retour")])
        #expect(spent < 0.5, "the gateway spent \(spent) s of CPU in 2 s while out of descriptors")
        #expect(result.stderr.components(separatedBy: "cannot accept connections").count == 2, "one warning: \(result)")
        #expect(result.stderr.contains("Too many open files"))
        #expect(result.status == 0, "\(result)")
    }

    /// SIGTERM: every member gets its closing handshake (1001, or 0xFF 0x00 for hixie-76), then
    /// the process exits 0.
    @Test func sigtermClosesEveryMemberAndExitsZero() throws {
        let port = try PeerProcess.freePort()
        let server = try PeerProcess.start(Self.binary.path, ["serve", "--port", "\(port)", "--log-level", "notice"])
        var client: LoopbackClient?
        for _ in 0..<400 where client == nil {   // up to 20 s: a loaded machine starts the binary slowly
            client = try? LoopbackClient(port: port)
            if client == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let rfc = try #require(client)
        var rfcConnection = try rfc.open(ClientHandshakeConfiguration(host: "127.0.0.1:\(port)", target: "/chat"), seed: 4)
        let hixie = try LoopbackClient(port: port)
        var hixieConnection = try hixie.open(ClientHandshakeConfiguration(version: .hixie76, host: "127.0.0.1:\(port)", target: "/serveur.php"))
        Self.waitForRoom(port: port, members: 2)
        kill(server.process.processIdentifier, SIGTERM)
        let (_, rfcEvents) = try rfc.receiveMessages(Int.max, on: &rfcConnection)
        let (_, hixieEvents) = try hixie.receiveMessages(Int.max, on: &hixieConnection)
        let result = server.finish(timeout: 10)
        #expect(rfcEvents.contains(.closeReceived(code: .goingAway, reason: "server shutting down")), "\(rfcEvents)")
        #expect(hixieEvents == [.closeReceived(code: nil, reason: "")])
        #expect(result.status == 0 && !result.timedOut, "\(result)")
        #expect(result.stderr.contains("shutting down"))
    }
}

/// Keepalive: a member that answers pings stays; one that goes silent is closed with 1001.
@Suite(.ownThread) struct GatewayKeepaliveTests {
    @Test func silentMemberIsClosedAndResponsiveOneStays() throws {
        var configuration = GatewayConfiguration(port: 0)
        configuration.pingIntervalSeconds = 0.2
        configuration.idleTimeoutSeconds = 0.8
        configuration.closeTimeoutSeconds = 0.5
        let gateway = try TestGateway(configuration)
        let (silent, _) = try GatewayBadInputTests.member(gateway)
        var (alive, aliveConnection) = try GatewayBadInputTests.member(gateway)
        // The core answers each ping with a pong (RFC 6455 §5.5.2) as the loop reads.
        var pings = 0
        let until = Date().addingTimeInterval(2)
        while Date() < until {
            Thread.sleep(forTimeInterval: 0.05)
            pings += try alive.receiveAvailable(on: &aliveConnection).filter { if case .ping = $0 { return true }; return false }.count
        }
        let closed = gateway.closedConnections(atLeast: 1, timeout: 3)
        #expect(closed.count == 1, "only the silent member is closed: \(closed)")
        #expect(closed.first?.closeCode == .goingAway)
        #expect(pings >= 3, "the responsive member was pinged \(pings) times")
        #expect(aliveConnection.state == .open)
        _ = silent
    }
}
