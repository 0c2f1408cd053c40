import Bridge
import Foundation
@testable import Gateway
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import WebSocketCore

/// A bridged pair on its own, its client side played by a recorder and its backend the real
/// gateway in-process: the pair answers the client once a backend accepted (with the backend's
/// subprotocol) or none did, tries the next upstream when one is unreachable, relays both ways
/// with the route's counters, and ends the client's close after the backend's.
@Suite(.serialized) struct BridgedPairTests {
    /// What the pair asked of the client's side, in order.
    final class RecordingClient: BridgeClientLeg, @unchecked Sendable {
        private let seen = Mutex<[String]>([])
        var calls: [String] { seen.withLock { $0 } }

        func backendAccepted(_ answer: AcceptedClientHandshake, target: RouteTarget) {
            seen.withLock { $0.append("accepted \(answer.version.rawValue) \(answer.subprotocol ?? "-") port \(target.port)") }
        }
        func backendFailed(_ failure: UpstreamFailure, target: RouteTarget) {
            seen.withLock { $0.append("failed \(failure.kind) \(failure.downstreamStatus)") }
        }
        func send(_ message: Message) {
            if case .text(let text) = message { seen.withLock { $0.append("send \(text)") } }
        }
        func close(code: CloseCode?, reason: String) {
            seen.withLock { $0.append("close \(code.map { String($0.rawValue) } ?? "none")") }
        }
        func setReading(_ reading: Bool) {
            seen.withLock { $0.append("reading \(reading)") }
        }

        /// The calls once `count` were made, or when `timeout` passes.
        func wait(for count: Int, timeout: TimeInterval = 10) -> [String] {
            let deadline = Date().addingTimeInterval(timeout)
            while calls.count < count && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            return calls
        }
    }

    /// The pair, touched on its loop only.
    final class OnLoop: @unchecked Sendable {
        var pair: BridgedPair!
    }

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func backend(observer: ConnectionObserver? = nil) throws -> GatewayServer {
        var logger = Logger(label: "backend")
        logger.logLevel = .critical
        return try GatewayServer.start(configuration: GatewayConfiguration(port: 0), logger: logger, threads: 1, observer: observer)
    }

    /// A browser's request for `/chat`, offering the room's subprotocol, as the client's session holds it.
    static func clientRequest() throws -> AcceptedHandshake {
        var session = ServerSession(configuration: GatewayConfiguration.defaultHandshake)
        let request = "GET /chat HTTP/1.1\r\nHost: gateway.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: passerelle.chat.v1\r\nOrigin: null\r\n\r\n"
        let output = Array(request.utf8).withUnsafeBytes { session.receive($0) }
        guard case .request(let accepted)? = output.handshake else {
            Issue.record("the request was not accepted: \(output)")
            throw CancellationError()
        }
        return accepted
    }

    /// A pair for `/chat` relayed to `urls` in that order, started on the test's loop (`then` runs
    /// in the same pass).
    static func startPair(_ urls: [String], client: RecordingClient,
                          then: @escaping @Sendable (BridgedPair) -> Void = { _ in }) throws -> (OnLoop, GatewayServices) {
        let route = BridgeRoute(path: "/chat", targets: try urls.map { try RouteTarget(url: $0) })
        var configuration = GatewayConfiguration(port: 0)
        configuration.bridges = ["/chat": route]
        configuration.upstreamTimeoutSeconds = 5
        let loop = group.next()
        let logger = Logger(label: "pair")
        let services = GatewayServices(configuration: configuration, registry: ConnectionRegistry(limit: 10), budget: BufferBudget(limit: 1 << 20),
                                       room: RoomHub(loop: loop, logger: logger), observer: nil, logger: logger)
        let request = try clientRequest()
        let onLoop = OnLoop()
        try loop.submit {
            onLoop.pair = BridgedPair(route: route, request: request, client: client, services: services, connectionID: 1,
                                      clientAddress: "127.0.0.1", recorder: nil)
            onLoop.pair.start(on: loop)
            then(onLoop.pair)
        }.wait()
        return (onLoop, services)
    }

    static func onLoop(_ body: @escaping @Sendable () -> Void) throws {
        try group.next().submit(body).wait()
    }

    @Test func relaysBothWaysAndAnswersTheClientsCloseAfterTheBackends() throws {
        let backend = try Self.backend()
        defer { try? backend.shutdown() }
        let client = RecordingClient()
        let (held, services) = try Self.startPair(["ws://127.0.0.1:\(backend.port)/echo"], client: client)
        #expect(client.wait(for: 2) == ["accepted rfc6455 passerelle.chat.v1 port \(backend.port)", "reading true"])
        #expect(services.bridgeCounters.snapshot("/chat").openPairs == 1)

        try Self.onLoop { held.pair.received(.message(.text("Bonjour")), from: .client) }
        #expect(client.wait(for: 3).last == "send Bonjour")
        let traffic = services.bridgeCounters.traffic(for: "/chat")
        #expect(traffic.messages(to: .upstream) == 1 && traffic.messages(to: .client) == 1)
        #expect(traffic.bytes(to: .upstream) == 7 && traffic.bytes(to: .client) == 7)

        // RFC 6455 §5.5.1: the client's close reaches the backend; the client is answered once
        // the backend's close came back.
        try Self.onLoop { held.pair.received(.closeReceived(code: .normalClosure, reason: ""), from: .client) }
        #expect(client.wait(for: 4).last == "close 1000")
        #expect(services.bridgeCounters.snapshot("/chat").closes[.upstream]?["1000"] == 1)
        #expect(services.bridgeCounters.snapshot("/chat").closes[.client]?["1000"] == 1)

        try Self.onLoop { held.pair.clientEnded() }
        #expect(services.bridgeCounters.snapshot("/chat").openPairs == 0)
    }

    @Test func anUnreachableUpstreamIsSkippedForTheNext() throws {
        let backend = try Self.backend()
        defer { try? backend.shutdown() }
        let nobody = try Self.freePort()
        let client = RecordingClient()
        let (held, services) = try Self.startPair(["ws://127.0.0.1:\(nobody)/echo", "ws://127.0.0.1:\(backend.port)/echo"], client: client)
        #expect(client.wait(for: 2).first == "accepted rfc6455 passerelle.chat.v1 port \(backend.port)")
        #expect(services.bridgeCounters.snapshot("/chat").retries == 1)
        try Self.onLoop { held.pair.clientEnded() }
    }

    @Test func whenNoBackendAcceptsTheClientIsToldWhy() throws {
        let nobody = try Self.freePort()
        let unreachable = RecordingClient()
        let (first, services) = try Self.startPair(["ws://127.0.0.1:\(nobody)/echo"], client: unreachable)
        #expect(unreachable.wait(for: 1) == ["failed unreachable 503"])
        #expect(services.bridgeCounters.snapshot("/chat").failures == ["unreachable": 1])
        try Self.onLoop { first.pair.clientEnded() }

        // A backend's own refusal is passed on as it is (RFC 9110 §15.6).
        let backend = try Self.backend()
        defer { try? backend.shutdown() }
        let refused = RecordingClient()
        let (second, _) = try Self.startPair(["ws://127.0.0.1:\(backend.port)/nowhere"], client: refused)
        #expect(refused.wait(for: 1) == ["failed refused 404"])
        try Self.onLoop { second.pair.clientEnded() }
    }

    @Test func aClientGoneBeforeTheBackendAnswersAbandonsTheLeg() throws {
        let closed = Mutex<[ConnectionStatistics]>([])
        let backend = try Self.backend { statistics in closed.withLock { $0.append(statistics) } }
        defer { try? backend.shutdown() }
        let client = RecordingClient()
        // The client ends in the same pass of the loop as the connect starts: the leg closes as
        // soon as it is connected, without sending the request.
        let (_, services) = try Self.startPair(["ws://127.0.0.1:\(backend.port)/echo"], client: client) { $0.clientEnded() }
        let deadline = Date().addingTimeInterval(10)
        while closed.withLock({ $0.isEmpty }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let seen = closed.withLock { $0 }
        #expect(seen.count == 1 && seen.first?.version == nil && seen.first?.path == "", "\(seen)")
        #expect(client.calls.isEmpty)
        #expect(services.bridgeCounters.snapshot("/chat").openPairs == 0)
    }

    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress?.port ?? 0
    }
}
