import Bridge
@testable import Gateway
import NIOCore
import Testing
import WebSocketCore

/// The gateway's decisions for one connection, without a socket or a clock: a client session of
/// the core plays the peer, and each test reads what the connection asks its shell to do.
@Suite struct GatewayConnectionTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let captured = ConnectionLogTests.Captured()
    var log: ConnectionLog { ConnectionLog(logger: Self.captured.logger, id: 7, peerAddress: nil) }

    /// A connection past its handshake on `endpoint`, and the client it answered.
    func opened(_ version: ProtocolVersion = .rfc6455, on endpoint: GatewayConfiguration.Endpoint = .echo,
                configuration: GatewayConfiguration = GatewayConfiguration()) throws -> (GatewayConnection, ClientSession) {
        var client = ClientSession(configuration: ClientHandshakeConfiguration(version: version, host: "127.0.0.1:11345", target: "/chat",
                                                                               origin: "http://127.0.0.1:11345"))
        var connection = GatewayConnection(id: 7, configuration: configuration, now: Self.start)
        guard case .route(let accepted) = connection.step(for: connection.receive(client.request), log: log),
              case .opened(endpoint, let opened) = connection.route(accepted, routes: ["/chat": endpoint], bridges: [:], roomAvailable: true, log: log) else {
            Issue.record("the request is not served on \(endpoint)")
            throw CancellationError()
        }
        _ = client.receive(opened.outbound)
        #expect(client.state == .open && connection.sendsMessages)
        return (connection, client)
    }

    /// A request routed to a bridge: the connection waits for the backend.
    func bridge(_ connection: inout GatewayConnection, _ request: [UInt8]) throws {
        let route = BridgeRoute(path: "/app", targets: [try RouteTarget(url: "ws://127.0.0.1:9/app")])
        guard case .route(let accepted) = connection.step(for: connection.receive(request), log: log),
              case .bridge(route) = connection.route(accepted, routes: [:], bridges: ["/app": route], roomAvailable: true, log: log) else {
            Issue.record("the request is not bridged")
            throw CancellationError()
        }
        #expect(connection.endpoint == .bridge && connection.statistics.version == accepted.version)
    }

    /// What the client makes of bytes the connection wrote.
    func events(_ bytes: [UInt8], at client: inout ClientSession) -> [ConnectionEvent] {
        Array(client.receive(bytes).events)
    }

    func bytes(of action: ConnectionAction) -> [UInt8] {
        switch action {
        case .write(let bytes), .writeAndClose(let bytes), .abandon(let bytes), .closingHandshake(let bytes, _): bytes
        case .writeBuffer(let buffer): Array(buffer.readableBytesView)
        case .none, .closeTransport: []
        }
    }

    @Test(arguments: [ProtocolVersion.rfc6455, .hixie76, .hixie75])
    func anEchoIsEachMessageSentBackThroughEitherPath(version: ProtocolVersion) throws {
        var (connection, client) = try opened(version)
        let frames = try client.send(.text("bonjour")) + client.send(.text("à tous"))
        // The session's own path: the echoes among the replies.
        let read = frames.withUnsafeBytes { connection.read(connection.receive($0).connection, logPayloads: false, log: log) }
        #expect(read.forRoom.isEmpty && read.forRelay.isEmpty && !read.closesTransport && read.echoes == nil)
        #expect(events(read.replies, at: &client) == [.message(.text("bonjour")), .message(.text("à tous"))])
        // The lent path: framed where they lie, into the send buffer.
        #expect(connection.echoesInPlace)
        var sink = ByteBufferFrameSink(allocator: ConnectionTransport.allocator)
        let lent = frames.withUnsafeBytes { connection.receiveEchoingInPlace($0, into: &sink, encoder: LoopEncoder(), logPayloads: false, log: log) }
        #expect(lent.replies.isEmpty)
        #expect(events(Array(lent.echoes?.readableBytesView ?? []), at: &client) == [.message(.text("bonjour")), .message(.text("à tous"))])
        #expect(connection.statistics.messagesIn == 4 && connection.statistics.messagesOut == 4)
    }

    @Test func aPingIsAnsweredInPlaceBetweenTheEchoes() throws {
        var (connection, client) = try opened()
        let frames = try client.send(.text("a")) + client.ping([1, 2]) + client.send(.text("b"))
        var sink = ByteBufferFrameSink(allocator: ConnectionTransport.allocator)
        let read = frames.withUnsafeBytes { connection.receiveEchoingInPlace($0, into: &sink, encoder: LoopEncoder(), logPayloads: false, log: log) }
        #expect(events(Array(read.echoes?.readableBytesView ?? []), at: &client) == [.message(.text("a")), .pong([1, 2]), .message(.text("b"))])
    }

    @Test func aRoomMembersMessagesGoToTheRoomAndABridgedClientsEventsToTheRelay() throws {
        var (member, memberClient) = try opened(.hixie76, on: .room)
        let toRoom = try memberClient.send(.text("{\"action\":\"ctrl/chat/out\"}"))
        let read = toRoom.withUnsafeBytes { member.read(member.receive($0).connection, logPayloads: true, log: log) }
        #expect(read.forRoom == [.text("{\"action\":\"ctrl/chat/out\"}")] && read.replies.isEmpty && read.forRelay.isEmpty)

        var client = ClientSession(configuration: ClientHandshakeConfiguration(host: "127.0.0.1", target: "/app"))
        var bridged = GatewayConnection(id: 8, configuration: GatewayConfiguration(), now: Self.start)
        try bridge(&bridged, client.request)
        let opening = bridged.backendAccepted(subprotocol: nil)
        let accepting = try #require(opening)
        _ = client.receive(accepting.opened.outbound)
        let close = try client.close(code: .normalClosure, reason: "bye").outbound
        let relayed = close.withUnsafeBytes { bridged.read(bridged.receive($0).connection, logPayloads: false, log: log) }
        // The client's close waits for the backend's: nothing is answered yet, the relay hears it.
        #expect(Array(relayed.forRelay) == [.closeReceived(code: .normalClosure, reason: "bye")] && relayed.replies.isEmpty && !relayed.closesTransport)
        #expect(bridged.session.state == .peerClosed)
    }

    @Test func thePeersCloseIsAnsweredAndEndsTheConnection() throws {
        var (connection, client) = try opened()
        let close = try client.close(code: .goingAway, reason: "").outbound
        let read = close.withUnsafeBytes { connection.read(connection.receive($0).connection, logPayloads: false, log: log) }
        #expect(read.closesTransport && !connection.sendsMessages)
        #expect(events(read.replies, at: &client) == [.closeReceived(code: .goingAway, reason: "")])
        #expect(connection.statistics.closeCode == .goingAway)
    }

    @Test func aCloseOnThisSidesInitiativeWaitsForTheAnswerUnderTheTimeout() throws {
        var (connection, client) = try opened()
        let action = connection.close(code: .goingAway, reason: "shutdown", closeTimeout: 3, log: log)
        guard case .closingHandshake(let bytes, let timeout) = action else { return #expect(Bool(false), "\(action)") }
        #expect(timeout == 3 && !connection.sendsMessages && connection.statistics.closeCode == .goingAway)
        #expect(events(bytes, at: &client) == [.closeReceived(code: .goingAway, reason: "shutdown")])
        // Asked again while it waits: nothing more to send.
        guard case .none = connection.close(code: .goingAway, reason: "again", closeTimeout: 3, log: log) else { return #expect(Bool(false)) }

        // hixie-75 has no closing handshake: the close is the end of TCP.
        var (hixie75, _) = try opened(.hixie75)
        guard case .writeAndClose(let last) = hixie75.close(code: .goingAway, reason: "", closeTimeout: 3, log: log) else { return #expect(Bool(false)) }
        #expect(last.isEmpty)
        // A connection still in its handshake is simply dropped.
        var handshaking = GatewayConnection(id: 9, configuration: GatewayConfiguration(), now: Self.start)
        guard case .closeTransport = handshaking.close(code: .goingAway, reason: "", closeTimeout: 3, log: log) else { return #expect(Bool(false)) }
    }

    @Test func keepaliveTicksPingThenCloseAQuietPeerAndGiveItsMemoryBackOnce() throws {
        let configuration = GatewayConfiguration(pingIntervalSeconds: 10, idleTimeoutSeconds: 30, hixieIdleTimeoutSeconds: 20)
        var (connection, client) = try opened(configuration: configuration)
        func tick(_ seconds: Int64, written: Int = 0) -> GatewayConnection.KeepaliveStep {
            connection.keepaliveTick(at: Self.start + .nanoseconds(seconds * 1_000_000_000), written: written, policy: configuration.keepalive, closeTimeout: 5, log: log)
        }
        let early = tick(5)
        #expect(early.releaseStorage && !early.closedIdle)
        guard case .none = early.action else { return #expect(Bool(false)) }
        #expect(!tick(6).releaseStorage)   // once per quiet spell
        let ping = tick(11)
        #expect(events(bytes(of: ping.action), at: &client) == [.ping(Array("keepalive".utf8))])
        connection.noteRead(2, at: Self.start + .nanoseconds(12_000_000_000))   // the pong: a new spell
        #expect(tick(20, written: 2).action.isNone && connection.statistics.closeCode == nil)
        let idle = tick(43, written: 2)
        guard case .closingHandshake(let close, 5) = idle.action, idle.closedIdle else { return #expect(Bool(false), "\(idle)") }
        #expect(events(close, at: &client) == [.closeReceived(code: .goingAway, reason: "idle timeout")])
        #expect(connection.statistics.closeCode == .goingAway)

        // hixie has no ping: a quiet hixie peer is closed with 0xFF 0x00.
        var (hixie, _) = try opened(.hixie76, configuration: configuration)
        let quiet = hixie.keepaliveTick(at: Self.start + .nanoseconds(21_000_000_000), written: 0, policy: configuration.keepalive, closeTimeout: 5, log: log)
        #expect(bytes(of: quiet.action) == [0xFF, 0x00] && quiet.closedIdle)
    }

    @Test func aRoomLineIsQueuedWithinTheLimitAndASlowConsumerIsClosedWith1008() throws {
        var (member, client) = try opened(.rfc6455, on: .room)
        let budget = BufferBudget(limit: 1 << 30)
        let within = member.deliver(PreparedLine(text: "salut"), queued: 0, perMember: 100, budget: budget, connections: 1, log: log)
        #expect(events(bytes(of: within), at: &client) == [.message(.text("salut"))])
        let over = member.deliver(PreparedLine(text: "salut"), queued: 98, perMember: 100, budget: budget, connections: 1, log: log)
        guard case .abandon(let close) = over else { return #expect(Bool(false), "\(over)") }
        #expect(events(close, at: &client).first == .closeReceived(code: .policyViolation, reason: GatewayError.slowConsumer(queuedBytes: 98, limit: 100).reason))
        #expect(member.statistics.refusal == .slowConsumer(queuedBytes: 98, limit: 100) && member.statistics.closeCode == .policyViolation)
        #expect(member.deliver(PreparedLine(text: "encore"), queued: 0, perMember: 100, budget: budget, connections: 1, log: log).isNone)
    }

    @Test func theHandshakesDeadlineAndABackendsFailureAnswerWithAStatusWhereTheFramingHasOne() throws {
        var waiting = GatewayConnection(id: 1, configuration: GatewayConfiguration(), now: Self.start)
        _ = waiting.receive(Array("GET /chat HTTP/1.1\r\nHost: x\r\n".utf8))
        let answer = waiting.handshakeTimedOut(log: log)
        let timedOut = try #require(answer)
        #expect(String(decoding: timedOut, as: UTF8.self).hasPrefix("HTTP/1.1 408"))
        #expect(waiting.statistics.failure == .handshakeTimeout)
        var (open, _) = try opened()
        let late = open.handshakeTimedOut(log: log)
        #expect(late == nil)

        for (version, status) in [(ProtocolVersion.rfc6455, "HTTP/1.1 503"), (.hixie76, "")] {
            let client = ClientSession(configuration: ClientHandshakeConfiguration(version: version, host: "127.0.0.1", target: "/app",
                                                                                   origin: "http://127.0.0.1"))
            var bridged = GatewayConnection(id: 2, configuration: GatewayConfiguration(), now: Self.start)
            try bridge(&bridged, client.request)
            let answer = String(decoding: bridged.backendFailed(.unreachable("connection refused")), as: UTF8.self)
            #expect(status.isEmpty ? answer.isEmpty : answer.hasPrefix(status))
            #expect(bridged.statistics.refusal == .upstreamFailed(.unreachable("connection refused")))
        }
    }

    @Test func aRequestForAnUnknownPathOrAnUnavailableRoomIsRefusedWithItsStatus() throws {
        for (path, roomAvailable, status, refusal) in [("/nowhere", true, "HTTP/1.1 404", GatewayError?.none),
                                                       ("/chat", false, "HTTP/1.1 503", .roomUnavailable)] {
            let client = ClientSession(configuration: ClientHandshakeConfiguration(host: "127.0.0.1", target: path))
            var connection = GatewayConnection(id: 5, configuration: GatewayConfiguration(), now: Self.start)
            guard case .route(let accepted) = connection.step(for: connection.receive(client.request), log: log),
                  case .refused(let answer) = connection.route(accepted, routes: ["/chat": .room], bridges: [:],
                                                               roomAvailable: roomAvailable, log: log) else { return #expect(Bool(false)) }
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix(status))
            #expect(connection.statistics.refusal == refusal && connection.statistics.path == path && !connection.sendsMessages)
        }
    }

    @Test func aBadRequestIsRefusedAndTheEndOfTCPIsAnAbnormalClosure() throws {
        var connection = GatewayConnection(id: 3, configuration: GatewayConfiguration(), now: Self.start)
        let request = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n\r\n"
        guard case .refused(let answer) = connection.step(for: connection.receive(Array(request.utf8)), log: log) else { return #expect(Bool(false)) }
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 426") && text.contains("Sec-WebSocket-Version: 13"))
        #expect(connection.statistics.failure != nil)

        var (open, _) = try opened()
        #expect(Array(open.transportEnded()) == [.transportEnded(.abnormalClosure)])
        #expect(open.statistics.closeCode == .abnormalClosure && !open.sendsMessages)
    }

    @Test func aConnectionRefusedAtTheDoorIsAnsweredAndReportedOnce() throws {
        let captured = ConnectionLogTests.Captured()
        let log = ConnectionLog(logger: captured.logger, id: 4, peerAddress: ConnectionLogTests.peer)
        var connection = GatewayConnection(id: 4, configuration: GatewayConfiguration(), now: Self.start)
        let answer = String(decoding: connection.refuseAdmission(.serverFull(limit: 2), log: log), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 503") && answer.contains("Retry-After: 5"))
        let report = connection.ended(bytesWritten: answer.utf8.count, log: log)
        #expect(report.refusal == .serverFull(limit: 2) && report.bytesOut == answer.utf8.count)
        #expect(report.peer == ConnectionLogTests.peer.description)
        #expect(captured.lines.withLock { $0 }.map(\.message) == ["connection refused", "connection closed"])
    }
}

extension GatewayConnection {
    mutating func receive(_ bytes: [UInt8]) -> SessionOutput {
        bytes.withUnsafeBytes { receive($0) }
    }
}

extension ConnectionAction {
    var isNone: Bool { if case .none = self { true } else { false } }
}
