import Bridge
import NIOCore
import Testing
import WebSocketCore
@testable import Gateway

/// The handler's decisions, each a value: where a request goes, when a member is a slow
/// consumer, when a quiet connection gives its memory back.
@Suite struct ConnectionPolicyTests {
    static let routes: [String: GatewayConfiguration.Endpoint] = ["/serveur.php": .room, "/chat": .room, "/echo": .echo]

    @Test func requestsAreRoutedOrRefused() throws {
        #expect(RequestRoute.decide(path: "/echo", routes: Self.routes, roomAvailable: true) == .endpoint(.echo))
        #expect(RequestRoute.decide(path: "/serveur.php", routes: Self.routes, roomAvailable: true) == .endpoint(.room))
        #expect(RequestRoute.decide(path: "/nope", routes: Self.routes, roomAvailable: true)
                == .refuse(status: 404, headers: [], body: "no WebSocket endpoint at /nope\n", failure: nil))
        guard case .refuse(503, let headers, _, .roomUnavailable?) = RequestRoute.decide(path: "/chat", routes: Self.routes, roomAvailable: false) else {
            Issue.record("the room is refused with 503 while its database is away")
            return
        }
        #expect(headers == [RequestRoute.HTTPField(name: "Retry-After", value: "5")])
        #expect(RequestRoute.decide(path: "/echo", routes: Self.routes, roomAvailable: false) == .endpoint(.echo), "the echo needs no database")
        let bridged = BridgeRoute(path: "/chat", targets: [try RouteTarget(url: "hixie76+ws://tv.example/serveur.php")])
        #expect(RequestRoute.decide(path: "/chat", routes: Self.routes, bridges: ["/chat": bridged], roomAvailable: false) == .bridge(bridged),
                "a route hides the built-in endpoint at its path")
    }

    @Test func aMemberOverItsLimitOrItsShareIsASlowConsumer() {
        let budget = BufferBudget(limit: 1000)
        #expect(DeliveryLimit.check(queued: 100, adding: 50, perMember: 200, budget: budget, connections: 4) == .within)
        #expect(DeliveryLimit.check(queued: 180, adding: 50, perMember: 200, budget: budget, connections: 4) == .exceeded(limit: 200))
        budget.add(990)   // past the server-wide budget: a member over an equal share is the one closed
        #expect(DeliveryLimit.check(queued: 100, adding: 50, perMember: 10_000, budget: budget, connections: 10) == .exceeded(limit: 100))
        #expect(DeliveryLimit.check(queued: 10, adding: 20, perMember: 10_000, budget: budget, connections: 10) == .within)
    }

    @Test func aQuietSpellGivesMemoryBackOnce() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var quiet = QuietSpell(now: start)
        var tick = quiet.tick(at: start + .milliseconds(500), written: 0)
        #expect(tick.silentSeconds == 0.5 && !tick.releaseMemory, "not yet a second")
        tick = quiet.tick(at: start + TimeAmount.seconds(Int64(2)), written: 0)
        #expect(tick.releaseMemory)
        tick = quiet.tick(at: start + TimeAmount.seconds(Int64(4)), written: 0)
        #expect(!tick.releaseMemory && tick.silentSeconds == 4, "once per spell")
        tick = quiet.tick(at: start + TimeAmount.seconds(Int64(6)), written: 120)
        #expect(!tick.releaseMemory, "a member that was written to is not quiet")
        tick = quiet.tick(at: start + TimeAmount.seconds(Int64(8)), written: 120)
        #expect(tick.releaseMemory, "quiet again: a new spell")
        quiet.noteRead(at: start + TimeAmount.seconds(Int64(9)))
        tick = quiet.tick(at: start + TimeAmount.seconds(Int64(11)), written: 120)
        #expect(tick.silentSeconds == 2 && tick.releaseMemory)
    }

    @Test func theServedPageOffersTheRoomDialectOnlyWhenChatIsTheRoom() {
        #expect(ChatPage.html(offeringRoomDialect: true).contains(#"new WebSocket(url, ["passerelle.chat.v1"])"#))
        let bridged = ChatPage.html(offeringRoomDialect: false)
        #expect(bridged.contains("new WebSocket(url)") && !bridged.contains(#"["passerelle.chat.v1"]"#))
    }
}
