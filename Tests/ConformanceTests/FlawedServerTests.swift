import Conformance
import Foundation
import Testing

/// The suite catches real bugs: each `FlawedEchoServer` (the core's echo with one deliberate bug)
/// is FAILED by exactly the cases meant for its bug and passes every other case of the suite.
@Suite struct FlawedServerTests {
    static let cases: [ConformanceCase] = (try? CaseLoader.load(from: ConformanceSuiteTests.suite)) ?? []

    @Test(arguments: Flaw.allCases)
    func eachFlawIsFailedByItsCasesAndOnlyThose(_ flaw: Flaw) throws {
        let server = try FlawedEchoServer(flaw)
        defer { server.stop() }
        let runner = CaseRunner(target: try .init(url: "ws://127.0.0.1:\(server.port)/echo"), timeout: 5)
        let results = ConformanceRun(cases: Self.cases, runner: runner, parallel: 8).execute()
        #expect(results.count == Self.cases.count && results.count >= 450)
        let meant = Set(Self.cases.filter { Self.isMeant($0, for: flaw) }.map(\.id))
        #expect(meant.count >= Self.minimumMeant[flaw]!, "\(flaw): only \(meant.count) cases meant for it")
        for result in results {
            if meant.contains(result.id) {
                #expect(result.outcome == .failed, "\(flaw) not caught by \(result.id): \(result.outcome.rawValue) — \(result.reason)")
            } else {
                #expect(result.outcome != .failed && result.outcome != .unimplemented,
                        "\(flaw) made \(result.id) \(result.outcome.rawValue): \(result.reason)")
            }
        }
        print("\(flaw): \(results.filter { $0.outcome == .failed }.count) FAILED of \(meant.count) meant, \(results.count) cases")
    }

    /// How many cases at least are meant for each flaw (so that a rule matching nothing cannot pass).
    static let minimumMeant: [Flaw: Int] = [
        .acceptsUnmaskedFrames: 6, .skipsUTF8Validation: 140, .wrongAcceptKey: 400, .ignoresServerNoContextTakeover: 3,
        .assumesClientNoContextTakeover: 5, .wrongHixieMD5: 15, .acceptsInvalidCloseCodes: 12, .answersOutOfOrder: 5,
        .dropsHixieClosingHandshake: 2, .hixieLocationWithoutResource: 20, .hixieOriginNotEchoed: 20,
        .sendsAfterClose: 420, .ignoresServerMaxWindowBits: 3, .dropsOnHixieLengthFrame: 2,
    ]

    /// The cases a flaw must fail, stated from the case data where a rule says it, by name otherwise.
    static func isMeant(_ item: ConformanceCase, for flaw: Flaw) -> Bool {
        let version = item.handshake?.version ?? "rfc6455"
        let upgrades = !item.steps.contains { $0.expectStatus != nil }
        switch flaw {
        case .acceptsUnmaskedFrames:
            return item.steps.contains { $0.send?.mask == "none" }
        case .skipsUTF8Validation:
            // Every invalid text must fail with 1007 — except the fail-fast case, which a server that
            // never checks leaves hanging: NON-STRICT by its `timeout` leniency, not FAILED.
            return item.group == "utf8" && item.steps.contains { $0.expectClose?.contains(1007) == true }
                && item.id != "utf8.invalid-in-first-fragment"
        case .wrongAcceptKey:
            return !version.hasPrefix("hixie") && upgrades
        case .ignoresServerNoContextTakeover:
            // Several similar messages after `server_no_context_takeover` was agreed.
            return ["deflate.server-no-context-takeover", "deflate.both-no-context-takeover", "deflate.all-four-parameters"].contains(item.id)
        case .assumesClientNoContextTakeover:
            // Similar compressed messages from a client that keeps its context (none agreed otherwise).
            return ["deflate.server-no-context-takeover", "deflate.context-takeover-series", "deflate.binary-context-series",
                    "deflate.uncompressed-between", "deflate.uncompressed-fragmented-between"].contains(item.id)
        case .wrongHixieMD5:
            return version == "hixie-76" && upgrades
        case .acceptsInvalidCloseCodes:
            return item.id.hasPrefix("close.invalid-code-")
        case .answersOutOfOrder:
            // A pong and an echo that must precede it, or follow it, from the same read (one write).
            return item.group == "order" && item.id.hasSuffix("-one-write")
        case .dropsHixieClosingHandshake:
            return version == "hixie-76" && item.steps.contains { $0.close != nil }
        case .hixieLocationWithoutResource, .hixieOriginNotEchoed:
            return version.hasPrefix("hixie") && upgrades
        case .ignoresServerMaxWindowBits:
            // Repeats farther back than the agreed window (messages with nearer repeats inflate either way).
            return item.id.hasPrefix("deflate.server-window-") && item.id.hasSuffix("-far-repeat")
        case .dropsOnHixieLengthFrame:
            // The cases that send a length frame first in a write (the flaw looks there).
            return version.hasPrefix("hixie") && item.steps.contains { step in
                guard case .hex(let hex)? = step.sendRaw?.node else { return false }
                return hex.hasPrefix("80")
            }
        case .sendsAfterClose:
            // Every connection that opens ends with a close from the server (the case's, or the
            // one answering the runner's own close at the end) — except hixie-75, which has none.
            return version != "hixie-75" && upgrades
        }
    }
}
