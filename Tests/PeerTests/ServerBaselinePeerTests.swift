import Conformance
import Foundation
import Testing

/// The suite against independently written servers, as `scripts/conformance-baselines` runs it:
/// Python `websockets` and node `ws` pass every RFC 6455 and permessage-deflate case (their
/// documented deviations accepted by their override files), and faye-websocket — a server that
/// still speaks hixie-75/76 — passes every hixie case.
@Suite(.ownThread) struct ServerBaselinePeerTests {
    static let root = ClientConformancePeerTests.root

    static func run(_ url: String, cases pattern: String? = nil, overrides name: String? = nil) throws -> [CaseResult] {
        var cases = try CaseLoader.load(from: root.appendingPathComponent("Conformance/cases"))
        if let pattern { cases = cases.filter { CaseLoader.matches($0.id, pattern) } }
        var overrides: [String: ConformanceRun.Override] = [:]
        if let name {
            overrides = try JSONDecoder().decode([String: ConformanceRun.Override].self,
                                                 from: Data(contentsOf: root.appendingPathComponent("Conformance/overrides/\(name)")))
        }
        let runner = CaseRunner(target: try .init(url: url), timeout: 5)
        return ConformanceRun(cases: cases, runner: runner, parallel: 4, overrides: overrides).execute()
    }

    static func expectNothingFailed(_ results: [CaseResult], _ target: String) {
        for result in results where result.outcome == .failed {
            Issue.record("\(target): \(result.id) FAILED: \(result.reason)")
        }
        print("\(target): \(ReportWriter.summary(results, seconds: 0))")
    }

    @Test func pythonWebsocketsServer() throws {
        let server = try BackgroundPeer("python3", [PeerProcess.benchServer("python_websockets_echo.py")])
        let results = try Self.run("ws://127.0.0.1:\(server.port)/", overrides: "python-websockets.json")
        Self.expectNothingFailed(results, "python-websockets")
        #expect(results.filter { $0.outcome == .ok }.count >= 400)
    }

    @Test func nodeWsServer() throws {
        let server = try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.benchServer("node_ws_echo.js")])
        let results = try Self.run("ws://127.0.0.1:\(server.port)/", overrides: "node-ws.json")
        Self.expectNothingFailed(results, "node-ws")
        #expect(results.filter { $0.outcome == .ok }.count >= 400)
    }

    @Test func fayeWebsocketHixieServer() throws {
        let server = try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("faye_echo_server.js")])
        let results = try Self.run("ws://127.0.0.1:\(server.port)/", cases: "hixie.*")
        #expect(results.count >= 20)
        for result in results {
            #expect(result.outcome == .ok || result.outcome == .informational, "\(result.id): \(result.outcome.rawValue) — \(result.reason)")
        }
    }
}
