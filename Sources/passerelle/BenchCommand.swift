import ArgumentParser
import Bench
import Conformance
import Foundation
import WebSocketCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a WebSocket server (Passerelle or any other): throughput, latency, CPU, memory.",
        discussion: "scripts/bench runs the scenarios side by side against Passerelle, node ws and Python websockets, pinned to cores.",
        subcommands: [Echo.self, Broadcast.self, Handshake.self, Soak.self, Idle.self, Fanout.self])

    struct Echo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Echo round trips: N connections, one message (or --window) in flight each, for a fixed time.")

        @Argument(help: "The echo endpoint, ws://HOST:PORT/PATH.")
        var url: String

        @Option(help: "Concurrent connections.")
        var connections: Int = 100

        @Option(help: "Message size in bytes (a 2 KB JSON document with --json-payload).")
        var size: Int = 20

        @Flag(help: "Binary messages instead of text.")
        var binary = false

        @Option(help: "Messages each connection keeps in flight: it sends the next as each echo returns. With 1, every message costs both sides a read and a write system call of its own; more lets them batch, which shows the servers' own work rather than the kernel's.")
        var window: Int = 1

        @Flag(help: "A JSON chat document of --size bytes instead of repeated letters (compressible like real traffic).")
        var jsonPayload = false

        @OptionGroup var client: ClientOptions
        var deflate: Bool { client.deflate }
        var version: String { client.version }

        @OptionGroup var timing: RunOptions

        func validate() throws {
            guard connections > 0, size >= 0 else { throw ValidationError("--connections must be positive") }
            guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        }

        func run() throws {
            let endpoint: CaseRunner.Target
            do { endpoint = try CaseRunner.Target(url: url) } catch { throw ValidationError("\(error)") }
            let payload = jsonPayload ? Self.chatDocument(size) : Array(repeating: UInt8(ascii: "a"), count: size)
            let message: Message = binary ? .binary(payload) : .text(String(decoding: payload, as: UTF8.self))
            let load = EchoLoad(host: endpoint.host, port: endpoint.port, path: endpoint.path, connections: connections, message: message,
                                deflate: deflate, version: client.protocolVersion, window: window, seconds: timing.duration, warmupSeconds: timing.warmup)
            try timing.measure(scenario: scenarioName + (deflate ? "+deflate" : ""), url: url, connections: connections, messageBytes: payload.count) { window in
                let outcome = try load.run(window: window)
                return (outcome.messages, outcome.seconds, outcome.recorders, outcome.failures)
            }
        }

        private var scenarioName: String {
            "echo-\(version == "rfc6455" ? "" : version + "-")\(binary ? "binary" : "text")-\(size)B-\(connections)c" + (window > 1 ? "-w\(window)" : "")
        }

        /// A chat line as the room's clients send it, padded to `size` bytes.
        static func chatDocument(_ size: Int) -> [UInt8] {
            var text = #"{"action":"ctrl/chat/out","msg":"{\"from\":\"bench\",\"message\":\""#
            let words = ["bonjour", "le", "salon", "passerelle", "tele", "message", "ws", "hixie"]
            var i = 0
            while text.utf8.count < size - 5 { text += words[i % words.count] + " "; i += 1 }
            text += #"\"}"}"#
            return Array(text.utf8.prefix(max(size, 0)))
        }
    }

    struct Broadcast: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Room broadcast in the tutorial's protocol: N members, all or one sending; deliveries per second.",
            discussion: "Each sender keeps --window of its own lines in flight and sends the next when its own copy comes back. Works against any room that answers ctrl/chat/out with ws/chat/in to every member (bench/servers has node ws and Python websockets ones).")

        @Argument(help: "The room, ws://HOST:PORT/PATH (Passerelle: /chat).")
        var url: String

        @Option(help: "Members in the room.")
        var members: Int = 100

        @Option(help: "Members that send: a number, or `all`.")
        var senders: String = "all"

        @Option(help: "Own lines each sender keeps in flight (default: 1 with several senders, 16 with one).")
        var window: Int?

        @Option(help: "Letters in each chat line's message.")
        var size: Int = 20

        @Flag(help: "Offer permessage-deflate (as browsers do).")
        var deflate = false

        @Option(help: "Another instance of the same room, ws://HOST:PORT (repeatable): members are spread over URL and these, round robin (a cluster sharing one room).")
        var also: [String] = []

        @OptionGroup var timing: RunOptions

        var senderCount: Int? { senders == "all" ? members : Int(senders) }

        func validate() throws {
            guard members > 0, size > 0 else { throw ValidationError("--members and --size must be positive") }
            guard let count = senderCount, count > 0, count <= members else { throw ValidationError("--senders: `all` or 1…--members") }
            if let window, window < 1 { throw ValidationError("--window must be at least 1") }
        }

        func run() throws {
            let endpoint: CaseRunner.Target
            do { endpoint = try CaseRunner.Target(url: url) } catch { throw ValidationError("\(error)") }
            let count = senderCount ?? members
            var load = BroadcastLoad(host: endpoint.host, port: endpoint.port, path: endpoint.path, members: members, senders: count,
                                     window: window ?? (count == 1 ? 16 : 1), messageBytes: size, deflate: deflate,
                                     seconds: timing.duration, warmupSeconds: timing.warmup)
            do {
                load.moreEndpoints = try also.map { text in
                    let target = try CaseRunner.Target(url: text)
                    return (target.host, target.port)
                }
            } catch { throw ValidationError("--also: \(error)") }
            let spread = also.isEmpty ? "" : "-\(also.count + 1)inst"
            try timing.measure(scenario: "broadcast-\(count == members ? "all" : "\(count)")-send-\(members)m-\(size)B" + (deflate ? "+deflate" : "") + spread,
                            url: url, connections: members, messageBytes: size) { window in
                let outcome = try load.run(window: window)
                // Members that never joined count as failures too.
                return (outcome.deliveries, outcome.seconds, [outcome.recorder], outcome.failures + (members - outcome.joined - outcome.failures))
            }
        }
    }

    struct Handshake: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Handshake rate: clients in a loop of connect, opening handshake, closing handshake, close.")

        @Argument(help: "A WebSocket endpoint, ws://HOST:PORT/PATH.")
        var url: String

        @Option(help: "Clients looping at once.")
        var concurrency: Int = 50

        @OptionGroup var client: ClientOptions
        var deflate: Bool { client.deflate }
        var version: String { client.version }

        @OptionGroup var timing: RunOptions

        func validate() throws {
            guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        }

        func run() throws {
            let endpoint: CaseRunner.Target
            do { endpoint = try CaseRunner.Target(url: url) } catch { throw ValidationError("\(error)") }
            let load = HandshakeLoad(host: endpoint.host, port: endpoint.port, path: endpoint.path, concurrency: concurrency, deflate: deflate,
                                     version: client.protocolVersion, seconds: timing.duration, warmupSeconds: timing.warmup)
            try timing.measure(scenario: "handshake-\(version == "rfc6455" ? "" : version + "-")\(concurrency)c" + (deflate ? "+deflate" : ""),
                            url: url, connections: concurrency, messageBytes: 0) { window in
                let outcome = try load.run(window: window)
                return (outcome.handshakes, outcome.seconds, [outcome.recorder], outcome.failures)
            }
        }
    }

    struct Soak: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "No-loss soak of a room: members of every framing send numbered lines while others leave and return.",
            discussion: "Exit status 1 when a staying member lost, duplicated or reordered a line, or was disconnected untold.")

        @Argument(help: "The room, ws://HOST:PORT/PATH (Passerelle: /chat).")
        var url: String

        @Option(help: "Members that stay the whole run (checked); RFC 6455, RFC 6455 + deflate and hixie-76 in turn.")
        var stayers: Int = 150

        @Option(help: "Members that leave (closing handshake) and come back.")
        var churners: Int = 50

        @Option(help: "Lines per second per member.")
        var rate: Double = 1

        @Option(help: "Seconds of speaking.")
        var duration: Double = 300

        @Option(help: "The server's pid, to report its memory before and after.")
        var serverPid: Int32?

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            let endpoint: CaseRunner.Target
            do { endpoint = try CaseRunner.Target(url: url) } catch { throw ValidationError("\(error)") }
            let before = serverPid.flatMap(ProcessSample.of)
            let report = try SoakLoad(host: endpoint.host, port: endpoint.port, path: endpoint.path, stayers: stayers, churners: churners,
                                      messagesPerSecondPerMember: rate, seconds: duration).run()
            let after = serverPid.flatMap(ProcessSample.of)          // every member still connected
            let left = serverPid.map { ProcessSample.settledResidentBytes($0) }   // after they all left
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("soak: \(stayers + churners) members (\(churners) churning, \(report.reconnects) reconnects), \(Int(duration)) s, \(report.sent) lines sent; "
                      + "\(report.delivered)/\(report.expectedDeliveries) delivered to staying members; lost \(report.lost), duplicated \(report.duplicated), "
                      + "order mismatches \(report.orderMismatches), untold disconnects \(report.untoldDisconnects), failures \(report.failures)"
                      + (before.flatMap { b in after.map { a in
                          ", server RSS \(b.residentBytes >> 10) KiB before → \(a.residentBytes >> 10) KiB with members → \((left ?? 0) >> 10) KiB after they left" } } ?? ""))
            }
            if !report.ok { throw ExitCode(1) }
        }
    }

    struct Idle: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Idle memory: open N connections, hold them, then one message each; the server's RSS per connection.")

        @Argument(help: "An echo endpoint, ws://HOST:PORT/PATH.")
        var url: String

        @Option(help: "Connections, of the kinds --mix names in turn.")
        var connections: Int = 10_000

        @Option(help: "Kinds of connection: mixed (RFC 6455, RFC 6455 + deflate, hixie-76), half-deflate (RFC 6455 + deflate, hixie-76), rfc6455 (any WebSocket server), deflate, fleet (mixed and hixie-75).")
        var mix: IdleMix = .mixed

        @Option(help: "The server's pid (required: its memory is the figure).")
        var serverPid: Int32

        @Option(help: "After the message, stay quiet this many seconds and measure again: what the server gives back once its members have gone quiet (0 = skip).")
        var quietSeconds: Double = 0

        @Option(help: "After closing, the server's memory is read once it has not changed for this many seconds (at most 40 s).")
        var settleSeconds: Double = 12

        @Flag(help: "Print the figures as JSON (one line).")
        var json = false

        func run() throws {
            guard quietSeconds >= 0 else { throw ValidationError("--quiet-seconds must be 0 or more") }
            guard settleSeconds >= 0 else { throw ValidationError("--settle-seconds must be 0 or more") }
            let endpoint: CaseRunner.Target
            do { endpoint = try CaseRunner.Target(url: url) } catch { throw ValidationError("\(error)") }
            guard let base = ProcessSample.of(serverPid) else { throw ValidationError("no process \(serverPid)") }
            let load = IdleLoad(host: endpoint.host, port: endpoint.port, path: endpoint.path, connections: connections, mix: mix)
            load.openAll()
            Thread.sleep(forTimeInterval: 1)
            let opened = load.counts
            let idle = ProcessSample.of(serverPid)?.residentBytes ?? 0
            load.oneMessageEach()
            Thread.sleep(forTimeInterval: 1)
            let after = load.counts
            let used = ProcessSample.of(serverPid)?.residentBytes ?? 0
            var quiet: Int?
            if quietSeconds > 0 {
                Thread.sleep(forTimeInterval: quietSeconds)
                quiet = ProcessSample.of(serverPid)?.residentBytes
            }
            load.closeAll()
            let closed = ProcessSample.settledResidentBytes(serverPid, quiet: settleSeconds)
            let per = { (bytes: Int) in opened.open > 0 ? Double(bytes - base.residentBytes) / Double(opened.open) : 0 }
            if json {
                var figures: [String: Any] = [
                    "mix": load.mix.rawValue, "open": opened.open, "refused": opened.refused, "failed": opened.failed, "echoed": after.echoed,
                    "baseResidentBytes": base.residentBytes, "idleResidentBytes": idle, "afterOneMessageResidentBytes": used,
                    "closedResidentBytes": closed, "idleBytesPerConnection": per(idle), "afterOneMessageBytesPerConnection": per(used),
                ]
                if let quiet { figures["quietSeconds"] = quietSeconds; figures["quietBytesPerConnection"] = per(quiet) }
                print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(String(format: "idle: %d open, %d refused (HTTP), %d failed; server RSS %d KiB before, %d KiB idle (%.0f B per connection), "
                             + "%d KiB after one message each (%d echoed; %.0f B per connection), ",
                             opened.open, opened.refused, opened.failed, base.residentBytes >> 10, idle >> 10, per(idle),
                             used >> 10, after.echoed, per(used))
                      + (quiet.map { String(format: "%d KiB after %.0f s quiet (%.0f B per connection), ", $0 >> 10, quietSeconds, per($0)) } ?? "")
                      + "\(closed >> 10) KiB after all closed")
            }
            if opened.open == 0 { throw ExitCode(1) }
        }
    }
}

extension IdleMix: ExpressibleByArgument {}
