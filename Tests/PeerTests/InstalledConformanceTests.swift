import Foundation
import Testing

/// `passerelle conformance run` as a user who installed the binary runs it: from a directory with
/// no source tree, the suite built into the binary runs whole; a run that executes no case fails.
@Suite(.serialized, .ownThread) struct InstalledConformanceTests {
    @Test func theBinaryRunsItsWholeSuiteFromAnyDirectory() throws {
        let gateway = try TestGateway()
        let result = try PeerProcess.run("env", ["-C", "/", GatewayLifecycleTests.binary.path, "conformance", "run", gateway.url(),
                                                 "--parallel", "8"], timeout: 300)
        #expect(result.status == 0, "\(result)")
        let summary = try #require(result.lines.last)
        let total = try #require(Int(summary.split(separator: " ").first { Int($0) != nil } ?? ""))
        #expect(total >= 460 && summary.contains("\(total) cases"), "\(summary)")
        #expect(!summary.contains("FAILED"), "\(summary)")
    }

    @Test func aRunWithNoCaseFails() throws {
        let gateway = try TestGateway()
        let result = try PeerProcess.run("env", ["-C", "/", GatewayLifecycleTests.binary.path, "conformance", "run", gateway.url(),
                                                 "--cases", "no-such-group.*"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("no case matches"), "\(result)")
    }
}
