import Bridge
import Testing
import WebSocketCore

/// The relay between a pair's two legs, row by row of docs/bridge.md's close table, then
/// messages and the bounded queues.
@Suite struct RelayTests {
    static func relay(_ client: ProtocolVersion, _ upstream: ProtocolVersion, _ options: String = "", max: Int = 1 << 20) throws -> Relay {
        Relay(clientVersion: client, upstreamVersion: upstream, options: try RouteOptions(parsing: options), maxQueuedBytes: max)
    }

    // MARK: The close table

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999] as [UInt16])
    func rfcToRFCCodesAndReasonsPassEndToEnd(code: UInt16) throws {
        for leg in Leg.allCases {
            var relay = try Self.relay(.rfc6455, .rfc6455)
            let commands = relay.received(.closeReceived(code: CloseCode(code), reason: "raison é"), on: leg)
            #expect(commands == [.close(leg.other, code: CloseCode(code), reason: "raison é")], "\(code) from \(leg)")
            #expect(relay.received(.transportEnded(.abnormalClosure), on: leg).isEmpty, "TCP ends after the closing handshake")
        }
    }

    @Test func aCloseWithoutStatusStaysWithoutStatus() throws {
        var relay = try Self.relay(.rfc6455, .rfc6455)
        #expect(relay.received(.closeReceived(code: nil, reason: ""), on: .upstream) == [.close(.client, code: nil, reason: "")])
    }

    @Test func hixieClosingHandshakeIsANormalClosure() throws {
        var relay = try Self.relay(.hixie76, .rfc6455)
        #expect(relay.received(.closeReceived(code: nil, reason: ""), on: .client) == [.close(.upstream, code: .normalClosure, reason: "")])
        var back = try Self.relay(.hixie76, .rfc6455)
        // Towards a hixie leg the code is not on the wire: the shell sends 0xFF 0x00 (or FIN for hixie-75).
        #expect(back.received(.closeReceived(code: .goingAway, reason: "bye"), on: .upstream) == [.close(.client, code: .goingAway, reason: "bye")])
    }

    @Test func hixie75EndOfTCPIsItsClose() throws {
        var relay = try Self.relay(.hixie75, .rfc6455)
        #expect(relay.received(.transportEnded(.normalClosure), on: .client) == [.close(.upstream, code: .normalClosure, reason: "")])
    }

    @Test func aLostUpstreamIs1014AndALostClientIs1001() throws {
        var relay = try Self.relay(.rfc6455, .rfc6455)
        #expect(relay.received(.transportEnded(.abnormalClosure), on: .upstream) == [.close(.client, code: .badGateway, reason: "upstream connection lost")])
        var other = try Self.relay(.rfc6455, .hixie76)
        #expect(other.received(.transportEnded(.abnormalClosure), on: .client) == [.close(.upstream, code: .goingAway, reason: "client connection lost")])
    }

    @Test func aViolationClosesTheOtherLegWith1001AndATooBigMessageWith1009() throws {
        var relay = try Self.relay(.rfc6455, .rfc6455)
        #expect(relay.received(.failed(.reservedOpcode(3)), on: .upstream) == [.close(.client, code: .goingAway, reason: "upstream broke the protocol")])
        var big = try Self.relay(.rfc6455, .hixie76)
        #expect(big.received(.failed(.messageTooLarge(limit: 10)), on: .client) == [.close(.upstream, code: .messageTooBig, reason: "message too big")])
    }

    @Test func neither1005Nor1006Nor1015ReachesTheWire() throws {
        for ending in [LegEnding.lost, .hixie75Ended, .closed(code: nil, reason: "", framing: .hixie),
                       .closed(code: .noStatusReceived, reason: "", framing: .rfc6455), .failed(.invalidUTF8)] {
            for leg in Leg.allCases {
                let (code, _) = ending.closeForOtherLeg(endedLeg: leg)
                #expect(code.map { $0.isValidOnWire } ?? true, "\(ending) from \(leg) gave \(String(describing: code))")
            }
        }
    }

    @Test func theShellsOwnCloseReachesBothLegsOnce() throws {
        var relay = try Self.relay(.rfc6455, .hixie76)
        #expect(relay.closeBoth(startingWith: .client, code: .goingAway, reason: "server shutting down")
                == [.close(.client, code: .goingAway, reason: "server shutting down"), .close(.upstream, code: .goingAway, reason: "server shutting down")])
        #expect(relay.received(.closeReceived(code: .goingAway, reason: ""), on: .client).isEmpty)
    }

    @Test func aLegTheShellClosedTakesTheOtherAlong() throws {
        var relay = try Self.relay(.hixie76, .rfc6455)
        #expect(relay.closedByShell(.client, reason: "idle timeout") == [.close(.upstream, code: .goingAway, reason: "idle timeout")])
        #expect(relay.closedByShell(.upstream, reason: "idle timeout").isEmpty, "once")
        #expect(relay.received(.message(.text("tard")), on: .upstream) == [.dropped(from: .upstream, bytes: 4, reason: "the client leg is closing")])
    }

    // MARK: A client leg that answers its close late

    @Test func aClientThatRepliesLateStillGetsTheBackendsLastMessages() throws {
        var relay = Relay(clientVersion: .rfc6455, upstreamVersion: .rfc6455, repliesLate: [.client])
        #expect(relay.received(.closeReceived(code: CloseCode(4001), reason: "au revoir"), on: .client)
                == [.close(.upstream, code: CloseCode(4001), reason: "au revoir")])
        #expect(relay.received(.message(.text("écho")), on: .upstream) == [.send(.text("écho"), to: .client)],
                "what the backend was sending still reaches the client")
        #expect(relay.received(.closeReceived(code: CloseCode(4001), reason: ""), on: .upstream)
                == [.close(.client, code: CloseCode(4001), reason: "")], "the backend's answer is the client's")
        #expect(relay.received(.transportEnded(.abnormalClosure), on: .upstream).isEmpty)
        #expect(relay.received(.message(.text("trop tard")), on: .upstream).count == 1, "dropped, and said so")
    }

    @Test func aBackendThatOnlyEndsTCPLetsTheClientHaveItsOwnCodeBack() throws {
        var relay = Relay(clientVersion: .rfc6455, upstreamVersion: .hixie76, options: try RouteOptions(parsing: "phpwebsocket"),
                          repliesLate: [.client])
        #expect(relay.received(.closeReceived(code: .goingAway, reason: ""), on: .client) == [.close(.upstream, code: .goingAway, reason: "")])
        #expect(relay.received(.transportEnded(.abnormalClosure), on: .upstream) == [.close(.client, code: .goingAway, reason: "")])
    }

    @Test func aHixieClientsCloseIsAnsweredOnceTheBackendAnswered() throws {
        var relay = Relay(clientVersion: .hixie76, upstreamVersion: .rfc6455, repliesLate: [.client])
        #expect(relay.received(.closeReceived(code: nil, reason: ""), on: .client) == [.close(.upstream, code: .normalClosure, reason: "")])
        #expect(relay.received(.message(.text("dernier")), on: .upstream) == [.send(.text("dernier"), to: .client)])
        #expect(relay.received(.closeReceived(code: .normalClosure, reason: ""), on: .upstream) == [.close(.client, code: .normalClosure, reason: "")])
    }

    @Test func aShutdownAnswersAWaitingClientOnce() throws {
        var relay = Relay(clientVersion: .rfc6455, upstreamVersion: .rfc6455, repliesLate: [.client])
        _ = relay.received(.closeReceived(code: .normalClosure, reason: ""), on: .client)
        #expect(relay.closeBoth(startingWith: .client, code: .goingAway, reason: "server shutting down")
                == [.close(.client, code: .goingAway, reason: "server shutting down")], "the upstream leg was closing already")
        #expect(relay.received(.closeReceived(code: .normalClosure, reason: ""), on: .upstream).isEmpty)
    }

    // MARK: Messages

    @Test func messagesCrossInOrderTextStayingText() throws {
        var relay = try Self.relay(.hixie76, .rfc6455)
        #expect(relay.received(.message(.text("Salut")), on: .client) == [.send(.text("Salut"), to: .upstream)])
        #expect(relay.received(.message(.text("Bonsoir")), on: .upstream) == [.send(.text("Bonsoir"), to: .client)])
        #expect(relay.received(.message(.binary([1, 2])), on: .client) == [.send(.binary([1, 2]), to: .upstream)])
        #expect(relay.received(.ping([1]), on: .upstream).isEmpty, "each leg answers its own pings")
    }

    @Test func binaryTowardsAHixieLegFollowsTheRoute() throws {
        var closing = try Self.relay(.hixie76, .rfc6455)
        #expect(closing.received(.message(.binary([0xC3, 0xA9])), on: .upstream) == [
            .dropped(from: .upstream, bytes: 2, reason: "binary message for a hixie client"),
            .close(.upstream, code: .unsupportedData, reason: "binary messages cannot reach a hixie peer"),
            .close(.client, code: .unsupportedData, reason: "binary messages cannot reach a hixie peer"),
        ])
        var dropping = try Self.relay(.hixie76, .rfc6455, "binary=drop")
        #expect(dropping.received(.message(.binary([1])), on: .upstream) == [.dropped(from: .upstream, bytes: 1, reason: "binary message for a hixie client (binary=drop)")])
        #expect(dropping.received(.message(.text("encore")), on: .upstream) == [.send(.text("encore"), to: .client)], "the pair stays open")
        var asText = try Self.relay(.rfc6455, .hixie75, "binary=utf8")
        #expect(asText.received(.message(.binary(Array("été".utf8))), on: .client) == [.send(.text("été"), to: .upstream)])
        #expect(asText.received(.message(.binary([0xC3, 0x28])), on: .client).contains(.close(.upstream, code: .unsupportedData,
                                                                                              reason: "binary messages cannot reach a hixie peer")))
    }

    @Test func nothingIsRelayedToAClosingLegAndSaysSo() throws {
        var relay = try Self.relay(.rfc6455, .rfc6455)
        _ = relay.received(.closeReceived(code: .normalClosure, reason: ""), on: .client)
        #expect(relay.received(.message(.text("trop tard")), on: .upstream) == [.dropped(from: .upstream, bytes: 9, reason: "the client leg is closing")])
    }

    // MARK: Backpressure

    @Test func aFullQueuePausesTheOtherLegUntilHalfIsTaken() throws {
        var relay = try Self.relay(.rfc6455, .rfc6455, max: 10)
        #expect(relay.received(.message(.text("123456")), on: .client) == [.send(.text("123456"), to: .upstream)])
        #expect(relay.received(.message(.text("789012")), on: .client) == [.send(.text("789012"), to: .upstream), .pauseReading(.client)])
        #expect(relay.queuedBytes(for: .upstream) == 12)
        #expect(relay.received(.message(.text("3")), on: .client) == [.send(.text("3"), to: .upstream)], "paused once, not again")
        #expect(relay.waiting(7, for: .upstream).isEmpty, "7 waiting: more than half")
        #expect(relay.waiting(5, for: .upstream) == [.resumeReading(.client)])
        #expect(relay.waiting(0, for: .upstream).isEmpty && relay.queuedBytes(for: .upstream) == 0)
    }

    @Test func theShellsCountAloneCanPause() throws {
        var relay = try Self.relay(.rfc6455, .hixie76, max: 10)
        #expect(relay.waiting(11, for: .client) == [.pauseReading(.upstream)], "framing overhead counted by the shell")
        #expect(relay.waiting(12, for: .client).isEmpty)
        #expect(relay.waiting(3, for: .client) == [.resumeReading(.upstream)])
    }
}
