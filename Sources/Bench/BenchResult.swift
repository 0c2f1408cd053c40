import Foundation

/// One measured run: what `passerelle bench` prints as text and as one JSON line.
public struct BenchResult: Codable, Sendable {
    public var scenario: String
    public var target: String
    public var connections: Int
    public var messageBytes: Int
    public var seconds: Double
    public var messages: Int
    public var messagesPerSecond: Double
    public var p50Micros: Double
    public var p99Micros: Double
    public var p999Micros: Double
    /// Server CPU per message (µs); nil without `--server-pid`.
    public var serverCPUMicrosPerMessage: Double?
    public var generatorCPUMicrosPerMessage: Double
    /// Share of one core the generator used: near 1, the figure is a lower bound of the server's capacity.
    public var generatorCoreShare: Double
    public var generatorBound: Bool
    public var serverResidentBytes: Int?
    public var failures: Int

    public init(scenario: String, target: String, connections: Int, messageBytes: Int, seconds: Double, messages: Int,
                messagesPerSecond: Double, p50Micros: Double, p99Micros: Double, p999Micros: Double,
                serverCPUMicrosPerMessage: Double?, generatorCPUMicrosPerMessage: Double, generatorCoreShare: Double,
                generatorBound: Bool, serverResidentBytes: Int?, failures: Int) {
        self.scenario = scenario; self.target = target; self.connections = connections; self.messageBytes = messageBytes
        self.seconds = seconds; self.messages = messages; self.messagesPerSecond = messagesPerSecond
        self.p50Micros = p50Micros; self.p99Micros = p99Micros; self.p999Micros = p999Micros
        self.serverCPUMicrosPerMessage = serverCPUMicrosPerMessage; self.generatorCPUMicrosPerMessage = generatorCPUMicrosPerMessage
        self.generatorCoreShare = generatorCoreShare; self.generatorBound = generatorBound
        self.serverResidentBytes = serverResidentBytes; self.failures = failures
    }

    public var text: String {
        var line = String(format: "%@ %@: %.0f msgs/s, p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs", scenario, target,
                          messagesPerSecond, p50Micros, p99Micros, p999Micros)
        if let cpu = serverCPUMicrosPerMessage { line += String(format: ", server %.2f µs/msg", cpu) }
        line += String(format: ", generator %.2f µs/msg (%.0f%% of a core)", generatorCPUMicrosPerMessage, generatorCoreShare * 100)
        if let rss = serverResidentBytes { line += ", server RSS \(rss >> 10) KiB" }
        if generatorBound { line += " [generator-bound: lower bound]" }
        if failures > 0 { line += " [\(failures) connections failed]" }
        return line
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
