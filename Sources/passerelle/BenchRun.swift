import ArgumentParser
import Bench
import Foundation
import WebSocketCore

/// How the generator's clients connect, for the scenarios that choose it.
struct ClientOptions: ParsableArguments {
    @Flag(help: "Offer permessage-deflate (as browsers do).")
    var deflate = false

    @Option(help: "Protocol version: rfc6455 or hixie-76.")
    var version: String = "rfc6455"

    var protocolVersion: ProtocolVersion { ProtocolVersion(rawValue: version) ?? .rfc6455 }

    func validate() throws {
        guard ProtocolVersion(rawValue: version) != nil else { throw ValidationError("--version: rfc6455, hybi-08, hybi-07, hixie-76 or hixie-75") }
    }
}

/// What every timed scenario of `passerelle bench` takes.
struct RunOptions: ParsableArguments {
    @Option(help: "Measured seconds (after the warm-up).")
    var duration: Double = 10

    @Option(help: "Warm-up seconds, not measured.")
    var warmup: Double = 2

    @Option(help: "The server's pid, to report its CPU per message (delivery, handshake) and its memory.")
    var serverPid: Int32?

    @Option(help: "A name for the target in the output.")
    var target: String?

    @Flag(help: "Print one JSON line instead of text.")
    var json = false

    func validate() throws {
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive, --warmup not negative") }
    }

    /// Runs `load`, which samples the CPU of the server and of this generator when its measured
    /// window opens and closes (`MeasuredWindow`), and prints the result.
    func measure(scenario: String, url: String, connections: Int, messageBytes: Int,
                 _ load: (MeasuredWindow) throws -> (count: Int, seconds: Double, recorders: [LatencyRecorder], failures: Int)) throws {
        let window = MeasuredWindow(serverPid: serverPid)
        let outcome: (count: Int, seconds: Double, recorders: [LatencyRecorder], failures: Int)
        do {
            outcome = try load(window)
        } catch {
            FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let generatorCPU = window.generatorCPUSeconds ?? 0
        let count = Double(max(outcome.count, 1))
        let percentiles = LatencyRecorder.percentiles(outcome.recorders, [50, 99, 99.9])
        let result = BenchResult(
            scenario: scenario, target: target ?? url, connections: connections, messageBytes: messageBytes,
            seconds: outcome.seconds, messages: outcome.count, messagesPerSecond: Double(outcome.count) / outcome.seconds,
            p50Micros: percentiles[0], p99Micros: percentiles[1], p999Micros: percentiles[2],
            serverCPUMicrosPerMessage: window.serverCPUSeconds.map { $0 * 1e6 / count },
            generatorCPUMicrosPerMessage: generatorCPU * 1e6 / count,
            generatorCoreShare: generatorCPU / outcome.seconds, generatorBound: generatorCPU / outcome.seconds > 0.9,
            serverResidentBytes: window.serverResidentBytes, failures: outcome.failures)
        print(json ? result.json : result.text)
        if outcome.count == 0 { throw ExitCode(1) }
    }
}
