import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The cluster under faults, while members talk: the LISTEN connection killed by the database,
/// the database stopped and restarted, an instance killed. Afterwards, for every member that
/// stayed connected: nothing lost, duplicated or reordered — checked by the room's sequence
/// numbers (contiguous) and by content (the same list on every member).
@Suite(.serialized, .ownThread) struct ClusterFaultTests {
    typealias Instance = ClusterPeerTests.Instance

    /// Collects every member's lines and checks what every stayer must see.
    static func collect(_ members: [(String, PeerProcess.Running)]) throws -> [String: [ClusterPeerTests.Seen]] {
        var seen: [String: [ClusterPeerTests.Seen]] = [:]
        for (name, member) in members {
            let result = member.finish(timeout: 120)
            #expect(result.status == 0, "\(name): \(result)")
            seen[name] = try ClusterPeerTests.seen(result)
        }
        return seen
    }

    static func expectOneOrder(_ seen: [String: [ClusterPeerTests.Seen]], reference name: String) throws -> [RoomPeerTests.Line] {
        let reference = try #require(seen[name]).map(\.line)
        for (other, lines) in seen { #expect(lines.map(\.line) == reference, "\(other) saw another order than \(name)") }
        for (other, lines) in seen where lines.contains(where: { $0.sequence != nil }) { ClusterPeerTests.expectContiguous(lines, other) }
        return reference
    }

    static func saidInOrder(_ reference: [RoomPeerTests.Line], _ name: String, count: Int) {
        #expect(reference.filter { $0.from == name }.map(\.message) == (1...count).map { "\(name) \($0)" }, "\(name)'s lines")
    }

    /// Lines the room has stored so far.
    static func storedLines(_ postgres: TestPostgres) -> Int {
        Int((try? postgres.sql("SELECT count(*) FROM passerelle_room_messages").lines.first) ?? nil ?? "") ?? 0
    }

    /// Waits until the room has stored at least `count` lines: the stream is under way, so a
    /// fault landed now lands in the middle of it. Returns how many it holds.
    @discardableResult
    static func waitForStoredLines(_ postgres: TestPostgres, atLeast count: Int, timeout: TimeInterval = 20) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var stored = storedLines(postgres)
        while stored < count && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            stored = storedLines(postgres)
        }
        #expect(stored >= count, "the stream did not start: \(stored) lines stored")
        return stored
    }

    /// Two instances in one room, a Python `passerelle.chat.v1` member on each (one with deflate)
    /// saying `count` numbered lines, and a hixie-76 TV saying `tvLines`; all joined and told to speak.
    struct TwoInstanceRoom {
        let a: Instance, b: Instance
        let members: [(String, PeerProcess.Running)]
        let count: Int
        let tvLines: [String]
        var total: Int { 2 * count + tvLines.count }

        init(_ postgres: TestPostgres, count: Int, interval: Double, tvLines: [String], deflateOnA: Bool, tvOnA: Bool) throws {
            (a, b) = (try Instance("A", postgres: postgres), try Instance("B", postgres: postgres))
            for instance in [a, b] { try instance.waitAvailable() }
            self.count = count
            self.tvLines = tvLines
            let total = 2 * count + tvLines.count
            members = [
                ("PyA", try ClusterPeerTests.pythonMember([a.url("/chat")], name: "PyA", count: count, interval: interval, expect: total,
                                                          deflate: deflateOnA, richDialect: true)),
                ("PyB", try ClusterPeerTests.pythonMember([b.url("/chat")], name: "PyB", count: count, interval: interval, expect: total,
                                                          deflate: !deflateOnA, richDialect: true)),
                ("TV", try ClusterPeerTests.hixieMember((tvOnA ? a : b).url("/serveur.php"), name: "TV", lines: tvLines, expect: total)),
            ]
            ClusterPeerTests.waitForMembers([a, b], members.count)
            for (_, member) in members { member.send("go") }
        }

        /// Every member saw every line, in one order, with contiguous numbers; each sender's in its order.
        func expectEveryLineOnce() throws {
            let reference = try ClusterFaultTests.expectOneOrder(try ClusterFaultTests.collect(members), reference: "PyA")
            #expect(reference.count == total)
            ClusterFaultTests.saidInOrder(reference, "PyA", count: count)
            ClusterFaultTests.saidInOrder(reference, "PyB", count: count)
            #expect(reference.filter { $0.from == "TV" }.map(\.message) == tvLines)
        }
    }

    @Test func listenConnectionKilledMidStream() throws {
        let postgres = try TestPostgres()
        // 4 s of lines: long enough for both kills to land mid-stream on a loaded machine.
        let room = try TwoInstanceRoom(postgres, count: 80, interval: 0.05, tvLines: ["avant", "pendant", "apr\u{e8}s"], deflateOnA: true, tvOnA: false)
        let (a, b) = (room.a, room.b)
        // Twice, mid-stream: PostgreSQL ends both instances' LISTEN sessions — each time once both
        // are listening (after the first kill they come back after a backoff, longer on a loaded machine).
        for round in 1...2 {
            Self.waitForStoredLines(postgres, atLeast: 20 * round)
            let deadline = Date().addingTimeInterval(15)
            while try postgres.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'passerelle-listen%'").lines != ["2"],
                  Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
            }
            let killed = try postgres.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'passerelle-listen%'")
            #expect(killed.lines == ["t", "t"], "\(killed)")
            #expect(Self.storedLines(postgres) < room.total, "the fault landed before the stream ended")
        }
        try room.expectEveryLineOnce()
        for instance in [a, b] {
            let metrics = instance.metrics()
            #expect((metrics["passerelle_cluster_listener_reconnects_total"] ?? 0) >= 2, "\(instance.name): \(metrics)")
            #expect((metrics["passerelle_cluster_catch_ups_total"] ?? 0) >= 2, "\(instance.name): \(metrics)")
            #expect(metrics["passerelle_cluster_available"] == 1)
        }
        for instance in [a, b] { #expect(instance.stop().status == 0) }
    }

    @Test func databaseStoppedAndRestartedMembersStayAndNothingIsLost() throws {
        let postgres = try TestPostgres()
        let room = try TwoInstanceRoom(postgres, count: 100, interval: 0.03, tvLines: ["la base s'arr\u{ea}te", "et revient"], deflateOnA: false, tvOnA: true)
        let (a, b) = (room.a, room.b)
        Self.waitForStoredLines(postgres, atLeast: 20)
        #expect(Self.storedLines(postgres) < room.total, "the fault lands before the stream ends")
        try postgres.stop()
        // The instance notices, and sends new members elsewhere while members already in stay.
        #expect(a.waitFor(10) { $0["passerelle_cluster_available"] == 0 })
        let newcomer = try PeerProcess.run("python3", ["-c", """
            import asyncio, sys, websockets
            async def main():
                try:
                    async with websockets.connect(sys.argv[1], open_timeout=5):
                        print("joined")
                except websockets.InvalidStatus as refused:
                    print("status", refused.response.status_code, refused.response.headers.get("Retry-After"))
            asyncio.run(main())
            """, a.url("/chat")])
        #expect(newcomer.stdout.contains("status 503 5"), "\(newcomer)")
        Thread.sleep(forTimeInterval: 1.0)
        try postgres.start()
        try room.expectEveryLineOnce()
        for instance in [a, b] {
            let metrics = instance.metrics()
            #expect((metrics["passerelle_cluster_database_errors_total"] ?? 0) > 0, "\(instance.name): \(metrics)")
            #expect(metrics["passerelle_cluster_outbox_refusals_total"] == 0)
            #expect(metrics["passerelle_cluster_available"] == 1, "\(instance.name) back: \(metrics)")
        }
        for instance in [a, b] { #expect(instance.stop().status == 0) }
    }

    @Test func aFullOutboxClosesTheSpeakerWith1013AndKeepsWhatItHeld() throws {
        let postgres = try TestPostgres()
        let a = try Instance("A", postgres: postgres, extra: ["--cluster-outbox", "5"])
        try a.waitAvailable()
        let speaker = try PeerProcess.start("python3", ["-c", """
            import asyncio, json, sys, websockets
            async def main():
                async with websockets.connect(sys.argv[1], subprotocols=["passerelle.chat.v1"], ping_interval=None) as ws:
                    print("joined", flush=True)
                    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                    try:
                        for n in range(1, 21):
                            await ws.send(json.dumps({"action": "ctrl/chat/out", "msg": {"from": "Py", "message": f"Py {n}"}}))
                            await asyncio.sleep(0.01)
                        await asyncio.wait_for(ws.recv(), 10)
                    except websockets.ConnectionClosed as closed:
                        print("closed", closed.rcvd.code, closed.rcvd.reason, flush=True)
            asyncio.run(main())
            """, a.url("/chat")])
        ClusterPeerTests.waitForMembers([a], 1)
        try postgres.stop()
        #expect(a.waitFor(10) { $0["passerelle_cluster_available"] == 0 })
        speaker.send("go")
        let result = speaker.finish(timeout: 30)
        #expect(result.stdout.contains("closed 1013"), "\(result)")
        #expect(a.metrics()["passerelle_cluster_outbox_refusals_total"] == 1)
        // The five lines it held reach the table once the database is back, once each.
        try postgres.start()
        var rows = ""
        let deadline = Date().addingTimeInterval(20)
        repeat {
            Thread.sleep(forTimeInterval: 0.3)
            rows = (try? postgres.sql("SELECT count(*), count(DISTINCT message), min(message), max(seq) FROM passerelle_room_messages").stdout) ?? ""
        } while !rows.hasPrefix("5|") && Date() < deadline
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "5|5|Py 1|5", "\(rows)")
        #expect(a.stop().status == 0)
    }

    @Test func instanceKilledItsMemberMovesTheOthersLoseNothing() throws {
        let postgres = try TestPostgres()
        let instances = try ["A", "B", "C"].map { try Instance($0, postgres: postgres) }
        for instance in instances { try instance.waitAvailable() }
        let (a, b, c) = (instances[0], instances[1], instances[2])
        let count = 80
        let stayers: [(String, PeerProcess.Running)] = [
            ("PyA", try ClusterPeerTests.pythonMember([a.url("/chat")], name: "PyA", count: count, interval: 0.02, expect: nil, deflate: true, richDialect: true)),
            ("PyB", try ClusterPeerTests.pythonMember([b.url("/chat")], name: "PyB", count: count, interval: 0.02, expect: nil, deflate: false, richDialect: true)),
        ]
        let mover = try ClusterPeerTests.pythonMember([c.url("/chat"), a.url("/chat")], name: "Mover", count: count, interval: 0.02,
                                                      expect: nil, deflate: true, richDialect: true)
        ClusterPeerTests.waitForMembers(instances, 3)
        for (_, member) in stayers { member.send("go") }
        mover.send("go")
        Self.waitForStoredLines(postgres, atLeast: 20)
        kill(c.process.process.processIdentifier, SIGKILL)
        #expect(Self.storedLines(postgres) < 3 * count, "the instance died before the stream ended")
        let moved = mover.finish(timeout: 120)
        #expect(moved.status == 0, "\(moved)")
        let reconnected = try #require(moved.lines.first { $0.hasPrefix("reconnected ") }, "the mover moved: \(moved)")
        #expect(reconnected.contains(a.url("/chat")))
        let sentBefore = try #require(Int(reconnected.split(separator: " ").last ?? ""))
        let seen = try Self.collect(stayers)
        let reference = try Self.expectOneOrder(seen, reference: "PyA")
        Self.saidInOrder(reference, "PyA", count: count)
        Self.saidInOrder(reference, "PyB", count: count)
        // The mover's lines: in order, none twice; those in flight on C when it died may be lost,
        // every one said after the move arrives.
        let moverNumbers = reference.filter { $0.from == "Mover" }.compactMap { Int($0.message.split(separator: " ").last ?? "") }
        #expect(moverNumbers == moverNumbers.sorted() && Set(moverNumbers).count == moverNumbers.count, "\(moverNumbers)")
        #expect(Set(moverNumbers).isSuperset(of: (sentBefore + 1)...count), "after the move: \(moverNumbers)")
        // After its move the mover follows the room in the same numbering.
        let moverAfter = try ClusterPeerTests.seen(PeerProcess.Result(status: 0, stdout: moved.lines.drop { !$0.hasPrefix("reconnected") }.joined(separator: "\n"),
                                                                      stderr: "", timedOut: false))
        ClusterPeerTests.expectContiguous(moverAfter, "Mover after its move")
        let byNumber = Dictionary(seen["PyA"]!.compactMap { line in line.sequence.map { ($0, line.line) } }, uniquingKeysWith: { first, _ in first })
        for line in moverAfter { #expect(byNumber[line.sequence!] == line.line, "#\(line.sequence!) differs on the mover") }
        for instance in [a, b] { #expect(instance.stop().status == 0) }
    }
}

/// Retention keeps the table bounded while the room goes on.
@Suite(.serialized, .ownThread) struct ClusterRetentionTests {
    @Test func retentionByCountKeepsTheTableBounded() throws {
        let postgres = try TestPostgres()
        let a = try ClusterPeerTests.Instance("A", postgres: postgres, extra: ["--cluster-retention-count", "20", "--cluster-retention-interval", "0.3"])
        try a.waitAvailable()
        let member = try ClusterPeerTests.pythonMember([a.url("/chat")], name: "Py", count: 60, interval: 0.005, expect: 60, deflate: false, richDialect: true)
        ClusterPeerTests.waitForMembers([a], 1)
        member.send("go")
        let result = member.finish(timeout: 60)
        #expect(result.status == 0, "\(result)")
        let lines = try ClusterPeerTests.seen(result)
        #expect(lines.count == 60)
        ClusterPeerTests.expectContiguous(lines, "Py")
        var rows = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            Thread.sleep(forTimeInterval: 0.3)
            rows = try postgres.sql("SELECT count(*), min(seq), max(seq) FROM passerelle_room_messages").stdout
        } while rows.trimmingCharacters(in: .whitespacesAndNewlines) != "20|41|60" && Date() < deadline
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "20|41|60", "the last 20 rows kept: \(rows)")
        #expect(a.stop().status == 0)
    }
}
