@testable import Conformance
import Foundation
import Testing

/// What `conformance serve` plays, and how it reads Autobahn's URLs.
@Suite struct ClientTestingPlanTests {
    @Test func routesFollowAutobahnsFuzzingServer() {
        #expect(ClientTestingRoute(target: "/getCaseCount", caseCount: 10).action == .caseCount)
        #expect(ClientTestingRoute(target: "/runCase?case=3&agent=my%20client", caseCount: 10).action == .runCase(index: 2, agent: "my client"))
        #expect(ClientTestingRoute(target: "/runCase?case=11&agent=a", caseCount: 10).action == .unknown)
        #expect(ClientTestingRoute(target: "/runCase?case=0", caseCount: 10).action == .unknown)
        #expect(ClientTestingRoute(target: "/runCase?case=x", caseCount: 10).action == .unknown)
        #expect(ClientTestingRoute(target: "/updateReports", caseCount: 10).action == .updateReports(agent: "client"))
        #expect(ClientTestingRoute(target: "/getCaseInfo?case=1", caseCount: 10).caseIndex == 0)
        #expect(ClientTestingRoute(target: "/other", caseCount: 10).action == .unknown)
    }

    @Test func onlyFrameLevelCasesHaveAServerSideMirror() throws {
        let cases = try CaseLoader.load(from: ConformanceSuiteTests.suite)
        let played = cases.filter(ClientTestingPlan.applicable)
        #expect(played.count >= 350)
        #expect(!played.contains { $0.group == "handshake" || $0.group == "hixie" })
        #expect(!played.contains { $0.steps.contains { $0.sendRaw != nil } })
        #expect(played.contains { $0.id == "framing.unmasked" })  // mirrored: a masked server frame
        #expect(!played.contains { $0.id == "framing.mask-zero" })
    }

    @Test func aCasesOfferBecomesTheServersAnswer() throws {
        let cases = Dictionary(uniqueKeysWithValues: try CaseLoader.load(from: ConformanceSuiteTests.suite).map { ($0.id, $0) })
        let windowCase = try #require(cases["deflate.server-window-10"])
        let takeoverCase = try #require(cases["deflate.both-no-context-takeover"])
        let plainCase = try #require(cases["rsv.text-rsv1"])
        let window = try #require(ClientTestingPlan.deflateConfiguration(for: windowCase))
        #expect(window.ownMaxWindowBits == 10)
        let takeover = try #require(ClientTestingPlan.deflateConfiguration(for: takeoverCase))
        #expect(takeover.ownNoContextTakeover && takeover.requestPeerNoContextTakeover)
        #expect(ClientTestingPlan.deflateConfiguration(for: plainCase) == nil)
    }
}
