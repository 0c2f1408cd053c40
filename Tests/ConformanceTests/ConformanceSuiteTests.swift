import Conformance
import Foundation
import Gateway
import Logging
import Testing

/// The conformance suite against Passerelle's own /echo, in-process: every case OK,
/// INFORMATIONAL or NON-STRICT (never FAILED); and the case files all load.
@Suite struct ConformanceSuiteTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let suite = root.appendingPathComponent("Conformance/cases")

    @Test func everyCaseFileLoads() throws {
        let cases = try CaseLoader.load(from: Self.suite)
        #expect(cases.count >= 450, "\(cases.count) cases")
        let groups = Set(cases.map(\.group))
        #expect(groups.isSuperset(of: ["handshake", "framing", "ping", "rsv", "opcode", "fragmentation", "utf8", "close", "limits", "deflate", "hixie"]))
    }

    @Test func passerelleEchoPassesTheWholeSuite() throws {
        var logger = Logger(label: "conformance-target")
        logger.logLevel = .critical
        let server = try GatewayServer.start(configuration: GatewayConfiguration(port: 0), logger: logger, threads: 2)
        defer { try? server.shutdown() }
        let cases = try CaseLoader.load(from: Self.suite)
        let runner = CaseRunner(target: try .init(url: "ws://127.0.0.1:\(server.port)/echo"), timeout: 5)
        let results = ConformanceRun(cases: cases, runner: runner, parallel: 4).execute()
        #expect(results.count == cases.count)
        for result in results {
            #expect(result.outcome != .failed && result.outcome != .unimplemented, "\(result.id): \(result.outcome.rawValue) — \(result.reason)")
        }
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-conformance-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: report) }
        try ReportWriter.write(results, target: "passerelle /echo", seconds: 1, to: report)
        let junit = try String(contentsOf: report.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("tests=\"\(cases.count)\" failures=\"0\""))
        #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent("index.html").path))
        print(ReportWriter.summary(results, seconds: 0))
    }
}

/// The suite built into the binary is the case folder, case for case: an installed `passerelle`
/// runs what the source tree holds.
@Suite struct EmbeddedSuiteTests {
    @Test func theBuiltInSuiteIsTheCaseFolder() throws {
        let folder = try CaseLoader.load(from: ConformanceSuiteTests.suite)
        let embedded = try CaseLoader.loadEmbedded()
        #expect(embedded.map(\.id) == folder.map(\.id))
        #expect(embedded.map(\.title) == folder.map(\.title))
        #expect(embedded.map(\.steps.count) == folder.map(\.steps.count))
        #expect(embedded.contains { $0.group == "order" })
    }
}
