import ArgumentParser
import Bench
import Conformance
import Foundation

extension BenchCommand {
    struct Fanout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A fleet in one room: N members join (handshakes per second, each one's handshake time), then one line reaches every member (time until the last has it).",
            discussion: """
            Several generators measure one room together (scripts/bench-scale): each writes its join \
            figures to --ready-file once its members are in, waits for --go-file, and one of them \
            (--send) sends the line, stamped with the system's monotonic clock. Exit status 1 when a \
            member failed to join or missed the line.
            """)

        @Argument(help: "The room's instances, ws://HOST:PORT/PATH (Passerelle: /chat); members are spread over them round robin.")
        var urls: [String]

        @Option(help: "Members this generator holds.")
        var members: Int = 1000

        @Option(help: "Kinds of member, in turn: fleet (RFC 6455, + deflate, hixie-76, hixie-75), mixed, half-deflate, rfc6455, deflate.")
        var mix: IdleMix = .fleet

        @Option(help: "A local address to connect from (repeatable, used in turn), e.g. 127.0.0.2: each has its own ephemeral ports.")
        var source: [String] = []

        @Option(help: "Handshakes in flight at once while joining.")
        var concurrency: Int = 200

        @Option(help: "Seconds allowed for every member to join.")
        var joinTimeout: Double = 300

        @Option(help: "Written (JSON: the join figures) once every member has joined or failed.")
        var readyFile: String?

        @Option(help: "The line is awaited only once this file exists (without it: right after joining).")
        var goFile: String?

        @Flag(help: "Only join, report and leave: a probe of the handshake latency a new client sees while a storm goes on.")
        var joinOnly = false

        @Flag(help: "This generator's first member sends the line.")
        var send = false

        @Option(help: "Seconds allowed for the line to reach every member.")
        var deliveryTimeout: Double = 60

        @Flag(help: "Members whose connection closes come back (full-jitter exponential backoff: a uniform wait below min(5 s, 0.2 s × 2^attempt)).")
        var reconnect = false

        @Option(help: "Written (JSON: the figures so far) once the line was awaited.")
        var deliveredFile: String?

        @Option(help: "With --reconnect: after the line, stay until this file exists, then until no member is down; report the reconnect storm.")
        var stormUntil: String?

        @Option(help: "Written at the end (JSON): every member's handshake and delivery time in microseconds, for percentiles over several generators.")
        var samplesFile: String?

        @Flag(help: "Print the figures as JSON (one line).")
        var json = false

        func validate() throws {
            guard members > 0, concurrency > 0 else { throw ValidationError("--members and --concurrency must be positive") }
            guard !urls.isEmpty else { throw ValidationError("give at least one ws:// URL") }
        }

        func run() throws {
            let endpoints = try urls.map { url -> FanoutLoad.Endpoint in
                do {
                    let target = try CaseRunner.Target(url: url)
                    return FanoutLoad.Endpoint(host: target.host, port: target.port, path: target.path)
                } catch { throw ValidationError("\(url): \(error)") }
            }
            let load = FanoutLoad(endpoints: endpoints, members: members, kinds: mix.kinds, sources: source, concurrency: concurrency,
                                  reconnect: reconnect)
            let joined = load.join(timeout: joinTimeout)
            let handshakes = Self.percentiles(joined.handshakeNanos)
            var figures: [String: Any] = [
                "members": members, "open": joined.open, "refused": joined.refused, "failed": joined.failed,
                "joinSeconds": joined.seconds, "handshakesPerSecond": joined.seconds > 0 ? Double(joined.open) / joined.seconds : 0,
                "handshakeP50Millis": handshakes.p50, "handshakeP99Millis": handshakes.p99, "handshakeMaxMillis": handshakes.max,
            ]
            if let readyFile {
                try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]).write(to: URL(fileURLWithPath: readyFile))
            }
            if joinOnly {
                load.closeAll()
                if json {
                    print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print(String(format: "fanout: %d of %d joined (%d refused, %d failed); handshake p50 %.1f ms, p99 %.1f ms, longest %.1f ms",
                                 joined.open, members, joined.refused, joined.failed, handshakes.p50, handshakes.p99, handshakes.max))
                }
                if joined.open < members { throw ExitCode(1) }
                return
            }
            if let goFile {
                let deadline = Date().addingTimeInterval(joinTimeout)
                while !FileManager.default.fileExists(atPath: goFile) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            }
            let delivered = load.deliver(send: send, timeout: deliveryTimeout)
            let latencies = Self.percentiles(delivered.latencyNanos)
            figures["received"] = delivered.received
            figures["missed"] = joined.open - delivered.received
            figures["deliveryP50Millis"] = latencies.p50
            figures["deliveryP99Millis"] = latencies.p99
            figures["lastDeliveryMillis"] = latencies.max
            if let deliveredFile {
                try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]).write(to: URL(fileURLWithPath: deliveredFile))
            }
            var storm: FanoutLoad.Storm?
            if let stormUntil {
                while !FileManager.default.fileExists(atPath: stormUntil) { Thread.sleep(forTimeInterval: 0.05) }
                let outcome = load.awaitStorm(settle: 1, timeout: 300)
                let down = Self.percentiles(outcome.downNanos)
                figures["stormDrops"] = outcome.drops
                figures["stormStillDown"] = outcome.stillDown
                figures["stormSeconds"] = outcome.seconds
                figures["stormRefusedAttempts"] = outcome.refusedAttempts
                figures["stormFailedAttempts"] = outcome.failedAttempts
                figures["stormDownP50Millis"] = down.p50
                figures["stormDownP99Millis"] = down.p99
                figures["stormDownMaxMillis"] = down.max
                storm = outcome
            }
            if let samplesFile {
                let samples: [String: [UInt64]] = ["handshakeMicros": joined.handshakeNanos.map { $0 / 1000 },
                                                   "deliveryMicros": delivered.latencyNanos.map { $0 / 1000 },
                                                   "downMicros": (storm?.downNanos ?? []).map { $0 / 1000 }]
                try JSONSerialization.data(withJSONObject: samples).write(to: URL(fileURLWithPath: samplesFile))
            }
            load.closeAll()
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(String(format: "fanout: %d of %d members joined (%d refused, %d failed) in %.1f s, %.0f handshakes/s, handshake p50 %.1f ms p99 %.1f ms; "
                             + "the line reached %d of them: p50 %.1f ms, p99 %.1f ms, last %.1f ms",
                             joined.open, members, joined.refused, joined.failed, joined.seconds,
                             joined.seconds > 0 ? Double(joined.open) / joined.seconds : 0, handshakes.p50, handshakes.p99,
                             delivered.received, latencies.p50, latencies.p99, latencies.max))
                if let storm {
                    let down = Self.percentiles(storm.downNanos)
                    print(String(format: "storm: %d dropped, all but %d back %.2f s after the first drop; down p50 %.0f ms, p99 %.0f ms, longest %.0f ms; "
                                 + "%d attempts refused (HTTP), %d failed (TCP)",
                                 storm.drops, storm.stillDown, storm.seconds, down.p50, down.p99, down.max, storm.refusedAttempts, storm.failedAttempts))
                }
            }
            if joined.open < members || delivered.received < joined.open || (storm?.stillDown ?? 0) > 0 { throw ExitCode(1) }
        }

        static func percentiles(_ nanos: [UInt64]) -> (p50: Double, p99: Double, max: Double) {
            guard !nanos.isEmpty else { return (0, 0, 0) }
            let sorted = nanos.sorted()
            let at = { (p: Double) in Double(sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p / 100 + 0.5))]) / 1e6 }
            return (at(50), at(99), Double(sorted.last!) / 1e6)
        }
    }
}
