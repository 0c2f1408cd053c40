import Conformance
import Foundation
import Testing

/// `conformance serve` plays the server side of the suite for real clients under test: Python
/// `websockets` (an Autobahn-style driver) and headless Chromium (the served driver page). Each
/// runs every case it can; none is FAILED once the client's documented deviations are applied.
@Suite(.serialized, .ownThread) struct ClientConformancePeerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func server(overrides name: String) throws -> ConformanceServer {
        let cases = try CaseLoader.load(from: root.appendingPathComponent("Conformance/cases"))
        let overrides = try JSONDecoder().decode([String: ConformanceRun.Override].self,
                                                 from: Data(contentsOf: root.appendingPathComponent("Conformance/overrides/\(name)")))
        let server = ConformanceServer(cases: cases, timeout: 5, overrides: overrides)
        try server.start(port: 0)
        return server
    }

    static func check(_ results: [CaseResult], of server: ConformanceServer, minimumOK: Int) {
        #expect(results.count == server.cases.count, "\(results.count) of \(server.cases.count) cases ran")
        #expect(server.cases.count >= 350)
        for result in results where result.outcome == .failed {
            Issue.record("\(result.id) FAILED: \(result.reason)")
        }
        let ok = results.filter { $0.outcome == .ok }.count
        #expect(ok >= minimumOK, "\(ReportWriter.summary(results, seconds: 0))")
        print(ReportWriter.summary(results, seconds: 0))
    }

    @Test func pythonWebsocketsClient() throws {
        let server = try Self.server(overrides: "client-python-websockets.json")
        defer { server.stop() }
        let run = try PeerProcess.run("python3", [PeerProcess.script("python_fuzzing_client.py"), "ws://127.0.0.1:\(server.port)",
                                                  "--agent", "python"], timeout: 300)
        #expect(run.status == 0, "\(run)")
        // The library's own checks answer nearly every case exactly as the RFC asks.
        Self.check(server.results(for: "python"), of: server, minimumOK: 370)
    }

    @Test func headlessChromium() throws {
        let server = try Self.server(overrides: "client-chromium.json")
        defer { server.stop() }
        let run = try PeerProcess.run("python3", [PeerProcess.script("chromium_page.py"), "http://127.0.0.1:\(server.port)/?agent=chromium",
                                                  "--wait-for", "report written", "--timeout", "280"], timeout: 300)
        #expect(run.status == 0, "\(run)")
        // Chromium drops TCP instead of sending 1002/1007 when it fails a connection: NON-STRICT.
        Self.check(server.results(for: "chromium"), of: server, minimumOK: 200)
    }
}
