import Testing
import WebSocketCore

/// `receive(_:deliver:)` lends each message where it lies (a whole frame unmasked in place in the
/// read buffer) instead of copying it into an event. It must deliver exactly what `receive(_:)`
/// reports — the same messages in the same order, the same other events and bytes — however the
/// stream is cut into reads, and fail the same way on bad text.
@Suite struct LentMessageTests {
    /// What a shell that echoes would send, in order: the messages it answers and the core's
    /// answers between them (adjacent answers joined, whatever read they came from).
    enum Sent: Equatable {
        case message(Message)
        case answer([UInt8])
    }

    struct Read {
        var sent: [Sent] = []
        /// The events other than messages, and whether the transport is to be closed.
        var events = ConnectionEvents()
        var closeTransport = false
        var messages: [Message] { sent.compactMap { item -> Message? in if case .message(let message) = item { message } else { nil } } }
        var answers: [UInt8] { sent.flatMap { item -> [UInt8] in if case .answer(let bytes) = item { bytes } else { [] } } }

        mutating func note(_ item: Sent) {
            if case .answer(let more) = item, case .answer(let bytes)? = sent.last { sent[sent.count - 1] = .answer(bytes + more); return }
            sent.append(item)
        }
    }

    /// `scratch` is shared by every connection a test reads, as a thread's connections share it in
    /// the gateway.
    static func lent(_ connection: inout some WebSocketConnection, _ reads: [ArraySlice<UInt8>],
                     scratch: inout InflateScratch) -> Read {
        var total = Read()
        for read in reads {
            let output = read.withUnsafeBytes {
                connection.receive($0, scratch: &scratch) { delivery in
                    switch delivery {
                    case .message(let view): total.note(.message(view.message()))
                    case .answer(let bytes): total.note(.answer(Array(bytes)))
                    }
                }
            }
            #expect(output.outbound.isEmpty, "a lending read hands its answers over as it makes them")
            total.events += output.events
            total.closeTransport = total.closeTransport || output.closeTransport
        }
        return total
    }

    static func owned(_ connection: inout some WebSocketConnection, _ reads: [ArraySlice<UInt8>]) -> Read {
        var total = Read()
        for read in reads {
            let output = connection.receive(read)
            output.forEachInOrder(event: { event in
                if case .message(let message) = event { total.note(.message(message)) } else { total.events.append(event) }
            }, answer: { total.note(.answer(Array($0))) })
            total.closeTransport = total.closeTransport || output.closeTransport
        }
        return total
    }

    /// Where two lists of messages first differ, briefly (the messages can be 70 KB).
    static func firstDifference(_ got: [Message], _ expected: [Message]) -> String? {
        for (index, (a, b)) in zip(got, expected).enumerated() where a != b {
            return "message \(index): \(a.bytes.count) bytes \(a.bytes.prefix(12)) instead of \(b.bytes.count) bytes \(b.bytes.prefix(12))"
        }
        return got.count == expected.count ? nil : "\(got.count) messages instead of \(expected.count)"
    }

    static func cuts(_ bytes: [UInt8]) -> [[ArraySlice<UInt8>]] {
        var ways: [[ArraySlice<UInt8>]] = [[bytes[...]]]
        for size in [1, 7, 100, 4096] {
            ways.append(stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] })
        }
        return ways
    }

    @Test(arguments: [false, true])
    func lentMessagesAreWhatEventsReportHoweverTheStreamIsCut(deflate: Bool) throws {
        var scratch = InflateScratch()
        var client = RFC6455Connection(role: .client, deflate: deflate ? DeflateContext(agreement: DeflateAgreement(), role: .client) : nil,
                                       random: SeededRandom(seed: 7))
        var expected: [Message] = [
            .text(#"{"action":"ctrl/chat/out","msg":"bonjour"}"#), .text(""), .text("h\u{e9}llo \u{20ac} \u{1D11E} !"),
            .binary([0, 1, 2, 0x80, 0xFF]), .text(String(repeating: "passerelle ", count: 7_000)),
            .binary(Array(repeating: 0xAB, count: 70_000)),
        ]
        var bytes: [UInt8] = []
        for message in expected { bytes += try client.send(message) }
        // A fragmented text with a ping between two of its fragments (§5.4), then a whole message.
        // Letters that do not repeat much, so that even compressed it makes several fragments.
        var random = SeededRandom(seed: 11)
        let long = "fragments " + String((0..<1_500).map { _ in Array("abcdéfghijklmnopqrstuvwxyz €")[Int(random.next() % 28)] })
        let fragmented = try client.send(.text(long), fragmentSize: 100)
        let firstFrame = 2 + 4 + 100   // header, masking key, payload
        #expect(fragmented.count > 3 * firstFrame)
        bytes += fragmented[..<firstFrame] + (try client.ping(Array("between".utf8))) + fragmented[firstFrame...]
        bytes += try client.send(.text("après"))
        expected += [.text(long), .text("après")]
        let agreement: DeflateAgreement? = deflate ? DeflateAgreement() : nil
        func server() -> RFC6455Connection {
            RFC6455Connection(role: .server, deflate: agreement.map { DeflateContext(agreement: $0, role: .server) })
        }
        for reads in Self.cuts(bytes) {
            var lentServer = server(), ownedServer = server()
            let lent = Self.lent(&lentServer, reads, scratch: &scratch)
            let owned = Self.owned(&ownedServer, reads)
            #expect(Self.firstDifference(lent.messages, expected) == nil, "lent, \(reads.count) reads")
            #expect(Self.firstDifference(owned.messages, expected) == nil, "owned, \(reads.count) reads")
            #expect(lent.sent == owned.sent && lent.events == owned.events)
            #expect(lent.events == [.ping(Array("between".utf8))])
            // §5.4, §5.5.2: the pong leaves before the message whose last fragment came after the ping.
            let pong: [UInt8] = [0x8A, 7] + Array("between".utf8)
            #expect(lent.sent == expected.dropLast(2).map { .message($0) } + [.answer(pong), .message(.text(long)), .message(.text("après"))])
            #expect(lentServer.state == .open)
        }
    }

    @Test func invalidTextInAWholeFrameFailsAfterTheMessagesBeforeIt() throws {
        var scratch = InflateScratch()
        var client = RFC6455Connection(role: .client, random: SeededRandom(seed: 3))
        let bytes = try client.send(.text("avant"))
        // ASCII then a lone continuation byte, and a surrogate (ED A0 80): neither is UTF-8 (RFC 3629).
        for bad: [UInt8] in [Array("texte ASCII puis ".utf8) + [0x80], [0xED, 0xA0, 0x80]] {
            let frame = FrameEncoder.frame(opcode: .text, payload: bad, maskingKey: 0x1234_5678)
            for reads in Self.cuts(bytes + frame) {
                var lentServer = RFC6455Connection(role: .server), ownedServer = RFC6455Connection(role: .server)
                let lent = Self.lent(&lentServer, reads, scratch: &scratch)
                let owned = Self.owned(&ownedServer, reads)
                #expect(lent.messages == [.text("avant")])
                #expect(lent.sent == owned.sent && lent.events == owned.events)
                #expect(lent.events == [.failed(.invalidUTF8)])
                #expect(lent.sent.count == 2, "the echo, then the close")
                #expect(lent.answers.first == 0x88 && lent.answers[2...3] == [0x03, 0xEF], "close 1007 (§7.4.1)")
                #expect(lent.closeTransport && lentServer.state == .closed)
            }
        }
    }

    @Test(arguments: [ProtocolVersion.hixie76, .hixie75])
    func hixieTextIsLentAsEventsReportIt(version: ProtocolVersion) throws {
        var scratch = InflateScratch()
        var client = HixieConnection(role: .client, version: version)
        let texts = ["Bonjour", "", "h\u{e9}llo \u{20ac} \u{1D11E}", String(repeating: "x", count: 9_000)]
        var bytes: [UInt8] = []
        for text in texts { bytes += try client.send(.text(text)) }
        bytes += HixieFrameEncoder.lengthFrame(type: 0x80, payload: [1, 2, 3])   // read and discarded (§5.3)
        bytes += try client.send(.text("fin"))
        for reads in Self.cuts(bytes) {
            var lentServer = HixieConnection(role: .server, version: version), ownedServer = HixieConnection(role: .server, version: version)
            let lent = Self.lent(&lentServer, reads, scratch: &scratch)
            let owned = Self.owned(&ownedServer, reads)
            #expect(lent.messages == (texts + ["fin"]).map { .text($0) })
            #expect(owned.sent == lent.sent)
            #expect(lent.events.isEmpty && owned.events.isEmpty)
        }
        var bad = HixieConnection(role: .server, version: version)
        let failed = Self.lent(&bad, [([0x00] + Array("ok".utf8) + [0xFF, 0x00, 0xC3, 0x28, 0xFF])[...]], scratch: &scratch)
        #expect(failed.messages == [.text("ok")])
        #expect(failed.events == [.failed(.hixieInvalidUTF8)])
    }
}
