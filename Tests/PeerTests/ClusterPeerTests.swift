import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Scale-out: several gateway processes share one room through one PostgreSQL server —
/// real instances (the release/debug binary), real PostgreSQL (Debian's), real clients (Perl
/// hixie-76, Python websockets with and without deflate). Every check is by content and, for the
/// `passerelle.chat.v1` members, by the room's sequence numbers: contiguous, increasing, the same
/// on every instance.
@Suite(.serialized, .ownThread) struct ClusterPeerTests {
    /// One gateway process in the cluster.
    final class Instance {
        let name: String
        let port: Int
        let process: PeerProcess.Running

        init(_ name: String, postgres: TestPostgres, extra: [String] = []) throws {
            self.name = name
            port = try PeerProcess.freePort()
            process = try PeerProcess.start(GatewayLifecycleTests.binary.path, [
                "serve", "--port", "\(port)", "--cluster", postgres.url, "--cluster-instance", name,
                "--cluster-gap-grace", "0.05", "--log-level", "info",
            ] + extra)
        }

        func url(_ path: String) -> String { "ws://127.0.0.1:\(port)\(path)" }

        /// `/metrics` as name → value.
        /// A fetch is retried: on a loaded CI machine (every suite in parallel, Chromium among them) one
        /// can miss its timeout although the instance is fine (seen once: `[:]` for an instance that
        /// then stopped cleanly).
        func metrics(attempts: Int = 4) -> [String: Double] {
            var fetched: PeerProcess.Result?
            for _ in 0..<attempts where fetched == nil {
                if let result = try? PeerProcess.run("python3", ["-c", "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())",
                                                                 "http://127.0.0.1:\(port)/metrics"], timeout: 20),
                   result.status == 0, result.stdout.contains("passerelle_connections ") {
                    fetched = result
                }
            }
            guard let result = fetched else { return [:] }
            var values: [String: Double] = [:]
            for line in result.lines where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
            return values
        }

        /// Waits until `/metrics` satisfies `condition` (or `seconds` pass); returns whether it did.
        @discardableResult
        func waitFor(_ seconds: Double = 30, _ condition: ([String: Double]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition(metrics(attempts: 1)) { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }

        func waitAvailable() throws {
            guard waitFor(30, { $0["passerelle_cluster_available"] == 1 }) else {
                throw PeerError("instance \(name) did not join the cluster:\n\(process.finish(timeout: 1))")
            }
        }

        func stop() -> PeerProcess.Result {
            kill(process.process.processIdentifier, SIGTERM)
            return process.finish(timeout: 20)
        }
    }

    /// A chat line as one member saw it, with the room's sequence when its dialect carries it.
    struct Seen: Hashable, CustomStringConvertible {
        var from: String
        var message: String
        var sequence: Int?
        var description: String { "\(sequence.map { "#\($0) " } ?? "")\(from): \(message)" }
        var line: RoomPeerTests.Line { RoomPeerTests.Line(from: from, message: message) }
    }

    static func seen(_ result: PeerProcess.Result) throws -> [Seen] {
        // "frame: " from the Python members, "message: " from the Perl hixie-76 client.
        try result.lines.filter { $0.hasPrefix("frame: ") || $0.hasPrefix("message: ") }.compactMap { row in
            let json = String(row.drop { $0 != " " }.dropFirst())
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(row)")
            guard object["action"] as? String == "ws/chat/in", let msg = object["msg"] as? [String: String] else { return nil }
            return Seen(from: RoomPeerTests.unescapeHTML(msg["from"] ?? ""), message: RoomPeerTests.unescapeHTML(msg["message"] ?? ""),
                        sequence: object["seq"] as? Int)
        }
    }

    static func pythonMember(_ urls: [String], name: String, count: Int, interval: Double = 0.01, expect: Int?,
                             deflate: Bool, richDialect: Bool) throws -> PeerProcess.Running {
        var arguments = [PeerProcess.script("python_cluster_member.py"), "--urls", urls.joined(separator: ","), "--name", name,
                         "--count", "\(count)", "--interval", "\(interval)", "--wait-stdin", "--timeout", "90"]
        if let expect { arguments += ["--expect", "\(expect)"] }
        if deflate { arguments.append("--deflate") }
        if richDialect { arguments += ["--subprotocol", "passerelle.chat.v1"] }
        return try PeerProcess.start("python3", arguments)
    }

    static func hixieMember(_ url: String, name: String, lines: [String], expect: Int) throws -> PeerProcess.Running {
        try PeerProcess.start("perl", [PeerProcess.script("hixie76_client.pl"), url, "--expect", "\(expect)", "--wait-stdin"]
                              + lines.map { RoomPeerTests.tutorialFrame(name, $0) })
    }

    /// Waits until the instances together hold `members` room members.
    static func waitForMembers(_ instances: [Instance], _ members: Int) {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let total = instances.map { $0.metrics(attempts: 1)["passerelle_room_members"] ?? 0 }.reduce(0, +)
            if Int(total) >= members { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// The room's sequence numbers a member saw are contiguous and increasing: nothing lost,
    /// duplicated or reordered between its first and last line.
    static func expectContiguous(_ lines: [Seen], _ who: String) {
        let sequences = lines.compactMap(\.sequence)
        guard let first = sequences.first else { Issue.record("\(who) saw no numbered line"); return }
        #expect(sequences == Array(first..<(first + sequences.count)), "\(who): sequences not contiguous: \(sequences)")
    }

    @Test func threeInstancesOneRoomEveryFramingOneOrder() throws {
        let postgres = try TestPostgres()
        // B announces references only (as for lines too long for a NOTIFY): A and C read its rows.
        let instances = try [("A", []), ("B", ["--cluster-notify-inline-limit", "64"]), ("C", [])].map {
            try Instance($0.0, postgres: postgres, extra: $0.1)
        }
        for instance in instances { try instance.waitAvailable() }
        let (a, b, c) = (instances[0], instances[1], instances[2])
        let count = 12
        // The last is longer than a NOTIFY payload may be (8000 bytes): announced by reference.
        let tvLines = ["bonsoir depuis 2010", "hixie-76 sur A", "<b>pas de HTML</b>", String(repeating: "t\u{e9}l\u{e9} ", count: 1_500)]
        let total = 4 * count + tvLines.count
        let members: [(String, PeerProcess.Running)] = [
            ("TV", try Self.hixieMember(a.url("/serveur.php"), name: "TV", lines: tvLines, expect: total)),
            ("PyA", try Self.pythonMember([a.url("/chat")], name: "PyA", count: count, expect: total, deflate: true, richDialect: true)),
            ("PyB", try Self.pythonMember([b.url("/chat")], name: "PyB", count: count, expect: total, deflate: false, richDialect: true)),
            ("DeflateC", try Self.pythonMember([c.url("/chat")], name: "DeflateC", count: count, expect: total, deflate: true, richDialect: false)),
            ("RichC", try Self.pythonMember([c.url("/serveur.php")], name: "RichC", count: count, expect: total, deflate: true, richDialect: true)),
        ]
        Self.waitForMembers(instances, members.count)
        for (_, member) in members { member.send("go") }
        var seen: [String: [Seen]] = [:]
        for (name, member) in members {
            let result = member.finish(timeout: 90)
            #expect(result.status == 0, "\(name): \(result)")
            seen[name] = try Self.seen(result)
        }
        let reference = try #require(seen["PyB"]).map(\.line)
        #expect(reference.count == total, "PyB saw \(reference.count) of \(total)")
        for (name, lines) in seen {
            #expect(lines.map(\.line) == reference, "\(name) saw another order than PyB")
        }
        for name in ["PyA", "PyB", "RichC"] { Self.expectContiguous(seen[name] ?? [], name) }
        #expect(seen["PyA"]?.map(\.sequence) == seen["PyB"]?.map(\.sequence), "the same numbers on A and B")
        // Each sender's lines in the order it said them.
        #expect(reference.filter { $0.from == "TV" }.map(\.message) == tvLines)
        for name in ["PyA", "PyB", "DeflateC", "RichC"] {
            #expect(reference.filter { $0.from == name }.map(\.message) == (1...count).map { "\(name) \($0)" })
        }
        // Every instance delivered others' lines and dropped its own echoes.
        for instance in instances {
            let metrics = instance.metrics()
            #expect(metrics["passerelle_cluster_delivered_remote_total"] == Double(total - (instance === a ? count + tvLines.count : count * (instance === b ? 1 : 2))),
                    "\(instance.name): \(metrics)")
            #expect(metrics["passerelle_cluster_database_errors_total"] == 0, "\(instance.name): \(metrics)")
            // Everything referenced (B's lines, the TV's long line) was read from the table.
            if instance !== b { #expect((metrics["passerelle_cluster_catch_up_rows_total"] ?? 0) >= Double(count), "\(instance.name): \(metrics)") }
        }
        // History replay (passerelle.chat.v1 only): the stored lines, numbered as everyone saw them.
        let history = try PeerProcess.run("python3", ["-c", """
            import asyncio, json, sys, websockets
            async def main():
                async with websockets.connect(sys.argv[1], subprotocols=["passerelle.chat.v1"]) as ws:
                    await ws.send(json.dumps({"action": "ctrl/room/history", "msg": {"after": 2, "limit": 1000}}))
                    while True:
                        text = await asyncio.wait_for(ws.recv(), 10)
                        print("frame:", text, flush=True)
                        if '"ws/room/history"' in text:
                            return
            asyncio.run(main())
            """, c.url("/chat")])
        #expect(history.status == 0, "\(history)")
        let replayed = try Self.seen(history)
        #expect(replayed.map(\.line) == Array(reference.dropFirst(2)), "history after #2")
        #expect(replayed.first?.sequence == seen["PyB"]?[2].sequence)
        #expect(history.lines.last?.contains(#""count":\#(total - 2)"#) == true, "\(history.lines.last ?? "")")
        for instance in instances { #expect(instance.stop().status == 0) }
    }
}
