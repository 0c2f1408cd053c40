import Foundation
import Testing
import Gateway
import WebSocketCore

/// Members that vanish or misbehave at the transport level: each is cleaned up, told nothing it
/// cannot hear, and the room keeps working for everyone else.
@Suite(.serialized, .ownThread) struct GatewayFaultTests {
    static func hixieMember(_ gateway: TestGateway, path: String = "/serveur.php") throws -> (LoopbackClient, ClientSession) {
        let client = try LoopbackClient(port: gateway.port)
        return (client, try client.open(ClientHandshakeConfiguration(version: .hixie76, host: "127.0.0.1:\(gateway.port)", target: path)))
    }

    static func waitForMembers(_ count: Int, _ gateway: TestGateway) throws {
        let deadline = Date().addingTimeInterval(5)
        while try gateway.server.roomMemberCount() != count && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(try gateway.server.roomMemberCount() == count)
    }

    /// Two members still talk after a third left the way a fault leaves.
    static func roomStillWorks(_ gateway: TestGateway, _ speaker: LoopbackClient, _ speakerConnection: inout ClientSession,
                               _ listener: LoopbackClient, _ listenerConnection: inout ClientSession) throws {
        try speaker.send(speakerConnection.send(.text(RoomPeerTests.tutorialFrame("A", "toujours là"))))
        let (messages, _) = try listener.receiveMessages(1, on: &listenerConnection)
        #expect(messages == [.text(#"{"action":"ws/chat/in","msg":{"from":"A","message":"toujours là"}}"#)])
    }

    enum Departure: String, CaseIterable { case resetMidFrame, finMidFrame, hixieResetMidFrame, hixieFinMidFrame }

    /// RST or FIN in the middle of a frame, from an RFC 6455 or a hixie-76 member: the gateway
    /// records an abnormal closure (1006, RFC 6455 §7.1.5) and frees the member; the others go on.
    @Test(arguments: Departure.allCases)
    func memberVanishingMidFrame(_ departure: Departure) throws {
        let gateway = try GatewayBadInputTests.gateway()
        var (speaker, speakerConnection) = try GatewayBadInputTests.member(gateway)
        var (listener, listenerConnection) = try GatewayBadInputTests.member(gateway)
        let hixie = departure == .hixieResetMidFrame || departure == .hixieFinMidFrame
        let (leaver, _) = hixie ? try Self.hixieMember(gateway) : try GatewayBadInputTests.member(gateway)
        try Self.waitForMembers(3, gateway)
        // Half a frame: a text announced at 100 bytes with 10 sent, or a hixie frame with no 0xFF.
        let half = hixie ? [0x00] + Array("à moitié".utf8)
                         : Array(FrameEncoder.encode(FrameHeader(opcode: .text, maskingKey: 0x0102_0304, payloadLength: 100), payload: []) + [UInt8](repeating: 0x41, count: 10))
        try leaver.send(half)
        Thread.sleep(forTimeInterval: 0.1)
        switch departure {
        case .resetMidFrame, .hixieResetMidFrame:
            leaver.reset()
        case .finMidFrame, .hixieFinMidFrame:
            leaver.finishSending()
            // The gateway closes its side too: a FIN mid-frame is the end of this member.
            var rest: [UInt8] = []
            while let bytes = try leaver.receive() { rest += bytes }
        }
        try Self.waitForMembers(2, gateway)
        let gone = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(gone.version == (hixie ? .hixie76 : .rfc6455))
        if !hixie { #expect(gone.closeCode == .abnormalClosure, "\(gone)") }
        try Self.roomStillWorks(gateway, speaker, &speakerConnection, listener, &listenerConnection)
    }

    /// A peer that keeps sending after its close frame: RFC 6455 §5.5.1 — after the close, no
    /// more data frames. The gateway answers the close once, echoes nothing after it, and closes TCP.
    @Test func framesAfterCloseAreIgnored() throws {
        let gateway = try GatewayBadInputTests.gateway()
        var (client, connection) = try GatewayBadInputTests.member(gateway, path: "/echo")
        let key: UInt32 = 0x5555_AAAA
        var bytes = try connection.close(code: .normalClosure, reason: "au revoir").outbound
        bytes += FrameEncoder.frame(opcode: .text, payload: Array("après la fin".utf8), maskingKey: key)
        bytes += FrameEncoder.frame(opcode: .ping, payload: Array("encore".utf8), maskingKey: key)
        bytes += FrameEncoder.frame(opcode: .close, payload: [0x03, 0xE8], maskingKey: key)
        try client.send(bytes)
        var received: [UInt8] = []
        while let more = try client.receive() { received += more }
        // Exactly one frame came back: the close answer, 1000 (the client core still delivers data
        // received after its own close, RFC 6455 §5.5.1, so an echo would show here).
        let events = connection.receive(received).events
        #expect(events.count == 1, "\(events)")
        guard case .closeReceived(let code, _)? = events.first else { Issue.record("no close answer: \(events)"); return }
        #expect(code == .normalClosure)
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.closeCode == .normalClosure)
        #expect(stats.messagesOut == 0)
        try GatewayBadInputTests.stillServes(gateway)
    }

    /// hixie-76 §5.3: after 0xFF 0x00, frames are not messages any more.
    @Test func hixieFramesAfterCloseAreIgnored() throws {
        let gateway = try GatewayBadInputTests.gateway()
        let (client, _) = try Self.hixieMember(gateway, path: "/echo")
        try client.send([0xFF, 0x00, 0x00] + Array("trop tard".utf8) + [0xFF])
        var received: [UInt8] = []
        while let more = try client.receive() { received += more }
        #expect(received == [0xFF, 0x00], "only the closing handshake comes back: \(received)")
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.messagesOut == 0 && stats.messagesIn == 0)
    }

    /// Half-open: a TV unplugged mid-session sends neither FIN nor RST, and hixie cannot answer a
    /// ping. `--hixie-idle-timeout` is the bound; an RFC 6455 member is covered by ping/idle
    /// (GatewayKeepaliveTests).
    @Test func silentHixieMemberIsClosedAtItsIdleTimeout() throws {
        let gateway = try GatewayBadInputTests.gateway {
            $0.hixieIdleTimeoutSeconds = 0.6
            $0.closeTimeoutSeconds = 0.5   // it is sent 0xFF 0x00 and cannot answer: TCP goes after this
        }
        let (silent, _) = try Self.hixieMember(gateway)
        var (speaker, speakerConnection) = try GatewayBadInputTests.member(gateway)
        var (listener, listenerConnection) = try GatewayBadInputTests.member(gateway)
        try Self.waitForMembers(3, gateway)
        // The RFC 6455 members keep talking; the hixie member only listens, then goes quiet.
        let start = Date()
        try Self.waitForMembers(2, gateway)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.9 && elapsed < 3, "gone after \(elapsed) s (idle 0.6 s + close 0.5 s)")
        var tail: [UInt8] = []
        while let more = try silent.receive() { tail += more }
        #expect(tail.suffix(2) == [0xFF, 0x00], "the hixie member got its closing handshake: \(tail)")
        try Self.roomStillWorks(gateway, speaker, &speakerConnection, listener, &listenerConnection)
    }
}
