import Testing
import WebSocketCore

/// A shell that echoes sends its echoes and the core's answers (pongs, close frames) in the order
/// of what caused them, on both read paths and however the stream is cut: a ping between the
/// fragments of a message is answered before that message (RFC 6455 §5.4, §5.5.2), a message
/// before a ping before the ping's pong, and the close reply after everything before the close.
@Suite struct AnswerOrderTests {
    typealias Sent = LentMessageTests.Sent

    static func pong(_ text: String) -> [UInt8] { [0x8A, UInt8(text.utf8.count)] + Array(text.utf8) }

    /// Every way of cutting `bytes` into reads, one at a time and whole: the lent and owned
    /// paths both yield `expected`.
    static func check(_ bytes: [UInt8], _ expected: [Sent], deflate: Bool = false) {
        var scratch = InflateScratch()
        var ways = LentMessageTests.cuts(bytes)
        ways += (1..<bytes.count).map { [bytes[..<$0], bytes[$0...]] }   // split at every byte
        for reads in ways {
            func server() -> RFC6455Connection {
                RFC6455Connection(role: .server, deflate: deflate ? DeflateContext(agreement: DeflateAgreement(), role: .server) : nil)
            }
            var lentServer = server(), ownedServer = server()
            let lent = LentMessageTests.lent(&lentServer, reads, scratch: &scratch)
            let owned = LentMessageTests.owned(&ownedServer, reads)
            #expect(lent.sent == expected, "lent, \(reads.map(\.count)) bytes per read")
            #expect(owned.sent == expected, "owned, \(reads.map(\.count)) bytes per read")
        }
    }

    @Test(arguments: [false, true])
    func aPingBetweenFragmentsIsAnsweredBeforeTheMessage(deflate: Bool) throws {
        var client = RFC6455Connection(role: .client, deflate: deflate ? DeflateContext(agreement: DeflateAgreement(), role: .client) : nil,
                                       random: SeededRandom(seed: 5))
        let fragments = try client.send(.text("fragment one, fragment two"), fragmentSize: deflate ? 4 : 13)
        let first = 2 + 4 + (deflate ? 4 : 13)
        let bytes = Array(fragments[..<first]) + (try client.ping(Array("p".utf8))) + Array(fragments[first...])
        Self.check(bytes, [.answer(Self.pong("p")), .message(.text("fragment one, fragment two"))], deflate: deflate)
    }

    @Test func messagesAndPingsAnswerInTheirOrder() throws {
        var client = RFC6455Connection(role: .client, random: SeededRandom(seed: 6))
        var bytes = try client.send(.text("a"))
        bytes += try client.ping(Array("1".utf8))
        let fragments = try client.send(.text("b-c-d-e-f"), fragmentSize: 2)   // five fragments
        let frame = 2 + 4 + 2
        bytes += fragments[..<(2 * frame)]
        bytes += try client.ping(Array("2".utf8))
        bytes += fragments[(2 * frame)..<(4 * frame)]
        bytes += try client.ping(Array("3".utf8))
        bytes += fragments[(4 * frame)...]
        bytes += try client.send(.text("g"))
        Self.check(bytes, [.message(.text("a")), .answer(Self.pong("1") + Self.pong("2") + Self.pong("3")),
                           .message(.text("b-c-d-e-f")), .message(.text("g"))])
    }

    @Test func theCloseReplyFollowsEverythingBeforeTheClose() throws {
        var client = RFC6455Connection(role: .client, random: SeededRandom(seed: 8))
        let fragments = try client.send(.text("x-y"), fragmentSize: 2)
        var bytes = Array(fragments[..<8]) + (try client.ping(Array("q".utf8))) + Array(fragments[8...])
        bytes += try client.ping(Array("r".utf8))
        bytes += try client.close(code: .normalClosure, reason: "").outbound
        Self.check(bytes, [.answer(Self.pong("q")), .message(.text("x-y")), .answer(Self.pong("r") + [0x88, 2, 0x03, 0xE8])])
    }

    /// RFC 6455 §5.5.1 lets an endpoint finish what it sends before its close: a shell answering
    /// the messages of the read that brought the close can still frame them, and only then.
    @Test(arguments: [false, true])
    func theMessagesOfTheReadThatClosedAreStillAnswered(violation: Bool) throws {
        var client = RFC6455Connection(role: .client, random: SeededRandom(seed: 10))
        var bytes = try client.send(.text("dernier"))
        bytes += violation ? FrameEncoder.frame(opcode: Opcode(3), payload: [], maskingKey: 1) : try client.close(code: .normalClosure, reason: "").outbound
        var server = RFC6455Connection(role: .server)
        let output = server.receive(bytes)
        #expect(server.state == .closed)
        var wire: [UInt8] = []
        output.forEachInOrder(event: { event in
            if case .message(let message) = event { wire += (try? server.send(message)) ?? [] }
        }, answer: { wire += $0 })
        #expect(wire.prefix(9) == [0x81, 7] + Array("dernier".utf8)[...], "the echo, then the close")
        #expect(wire[9] == 0x88)
        _ = server.receive([UInt8]())
        #expect(throws: WebSocketError.connectionNotOpen) { try server.send(.text("trop tard")) }
    }

    @Test func eventsWithoutAnswersNeedNoMarks() throws {
        var client = RFC6455Connection(role: .client, random: SeededRandom(seed: 9))
        var server = RFC6455Connection(role: .server)
        let output = server.receive(try client.send(.text("a")) + client.send(.text("b")) + client.ping([]))
        #expect(output.answerMarks.isEmpty, "answers after the last event are placed without a mark")
        var order: [String] = []
        output.forEachInOrder(event: { if case .message(.text(let text)) = $0 { order.append(text) } else { order.append("event") } },
                              answer: { order.append("answer \(Array($0))") })
        #expect(order == ["a", "b", "event", "answer [138, 0]"])
    }
}
