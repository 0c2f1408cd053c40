import Capture
import Foundation
import Testing

/// The hand-made captures (scripts/make-capture-fixtures.py): link types, file variants and TCP
/// pathologies, each decoding as documented.
@Suite struct HandmadeCaptureTests {
    static let folder = RealCaptureTests.folder.appendingPathComponent("handmade")

    static func decode(_ name: String) throws -> [DecodeRecord] {
        try RealCaptureTests.decode(folder.appendingPathComponent(name))
    }

    static func texts(_ records: [DecodeRecord], _ direction: Direction, connection: Int = 1) -> [String] {
        records.compactMap { record -> String? in
            if case .message(let m) = record, m.direction == direction, m.kind == "text", m.connection == connection { return m.text }
            return nil
        }
    }

    static func violations(_ records: [DecodeRecord]) -> [String] {
        records.compactMap { if case .violation(let v) = $0 { return v.rule } else { return nil } }
    }

    @Test(arguments: ["two-interfaces.pcapng", "ipv6-sll2.pcapng", "ipv6-ethernet-bigendian-ns.pcap", "null-loopback.pcap",
                      "sll-simple-packets.pcapng"])
    func linkTypesAndFileVariantsDecodeTheSameSession(_ name: String) throws {
        let records = try Self.decode(name)
        #expect(Self.texts(records, .c2s) == ["Bonjour", "second message"])
        #expect(Self.texts(records, .s2c) == ["Bonjour", "second message"])
        #expect(Self.violations(records).isEmpty)
        let connection = try #require(records.compactMap { if case .connection(let c) = $0 { return c } else { return nil } }.first)
        #expect(connection.version == "rfc6455" && connection.path == "/echo")
        if name.contains("ipv6") { #expect(connection.client.hasPrefix("[")) }
        // Relative times come from the file's timestamps (µs, ns, pcapng if_tsresol).
        let firstFrame = try #require(records.compactMap { if case .frame(let f) = $0 { return f } else { return nil } }.first)
        let expected = name.contains("simple") ? 0 : 0.005   // Simple Packet Blocks carry no timestamp
        #expect(abs(firstFrame.time - expected) < 0.0005, "first frame at +\(firstFrame.time) s")
    }

    @Test func outOfOrderAndRetransmittedSegmentsAreReassembled() throws {
        let records = try Self.decode("out-of-order.pcap")
        #expect(Self.texts(records, .c2s) == ["out of order but whole"])
        let summary = try #require(records.compactMap { if case .summary(let s) = $0 { return s } else { return nil } }.first)
        #expect(summary.retransmittedBytes == 40 + 4, "a duplicated 40-byte segment and a 4-byte overlap")
        #expect(summary.missingBytes == 0)
    }

    @Test func missingFirstMessageIsReportedAndInflationFailureExplained() throws {
        let records = try Self.decode("missing-first-message.pcap")
        let gap = try #require(records.compactMap { if case .gap(let g) = $0 { return g } else { return nil } }.first)
        #expect(gap.bytes == 26 && gap.direction == .c2s)
        // The peer broke no rule: the message is shown as unknown, not as a violation.
        #expect(Self.violations(records).isEmpty)
        let unknown = records.compactMap { if case .message(let m) = $0, m.note != nil { return m } else { return nil } }
        #expect(unknown.count == 1 && unknown.first?.length == nil && unknown.first?.note?.contains("capture is missing") == true)
        #expect(Self.texts(records, .c2s) == ["plain text after"], "decoding resumes after the gap")
    }

    /// Captures with holes decode to exactly their `.expected.txt` (what `passerelle decode` prints
    /// before its statistics line): a gap inside a frame's payload resumes at the next frame, a
    /// lost header resumes only where two frames line up, and nothing claims more than is known.
    @Test(arguments: ["gap-in-payload", "stale-window", "missing-first-message", "mid-stream", "tls-no-keys", "tls-mid-stream"])
    func capturesWithHolesPrintExactlyWhatIsKnown(_ name: String) throws {
        let records = try Self.decode(name + ".pcap")
        let expected = try String(contentsOf: Self.folder.appendingPathComponent(name + ".expected.txt"), encoding: .utf8)
        let printed = records.map { TimelineRenderer.render($0) + "\n" }.joined()
        #expect(printed == expected)
        #expect(Self.violations(records).isEmpty, "no peer broke a rule in these captures")
    }

    /// wss without keys: TLS records are recognised (a ClientHello, or records mid-stream) and said
    /// to be encrypted, never decoded as WebSocket frames with violations no peer committed.
    @Test(arguments: ["tls-no-keys", "tls-mid-stream"])
    func tlsWithoutKeysIsSaidToBeTLS(_ name: String) throws {
        let records = try Self.decode(name + ".pcap")
        let notes = records.compactMap { if case .connection(let c) = $0 { return c.note } else { return nil } }
        #expect(notes.count == 1 && notes.first?.hasPrefix("TLS") == true, "\(notes)")
        #expect(!records.contains { if case .frame = $0 { return true }; if case .violation = $0 { return true }; return false })
    }

    /// What the decoder holds of one message is bounded (`--max-message-bytes`, for endless live
    /// streams): a longer message is shown without its content and no violation, and the ones after
    /// it decode.
    @Test func aMessageOverTheDecodersLimitIsShownWithoutContent() throws {
        var decoder = CaptureDecoder(options: .init(maxMessageBytes: 100))
        let bytes = try Data(contentsOf: Self.folder.appendingPathComponent("stale-window.pcap"))
        let records = try decoder.feed(bytes) + decoder.finish()
        #expect(Self.violations(records).isEmpty)
        let messages = records.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
        #expect(messages.first?.note?.contains("longer than the 100 bytes the decoder keeps") == true, "\(messages)")
        #expect(messages.last?.text == String(repeating: "z", count: 36))
    }

    @Test func aGapInsideAPayloadResumesAtTheNextFrame() throws {
        let records = try Self.decode("gap-in-payload.pcap")
        #expect(Self.texts(records, .c2s) == ["after the cut frame", "first after the lost header", "second after the lost header", "third"])
        let cut = records.compactMap { if case .message(let m) = $0, m.note != nil { return m } else { return nil } }
        #expect(cut.count == 1 && cut.first?.wireLength == 100 && cut.first?.note == "30 of its payload bytes are missing from the capture")
    }

    /// After a gap under context takeover, a message that refers back across it would inflate to
    /// other words with the window as it was before the gap: it is said to be unknown, and the
    /// next one, which refers only to itself, inflates (RFC 7692 §7.2.3: one window per direction).
    @Test func aGapUnderContextTakeoverNeverInflatesToOtherWords() throws {
        let records = try Self.decode("stale-window.pcap")
        #expect(Self.violations(records).isEmpty)
        let messages = records.compactMap { if case .message(let m) = $0, m.direction == .c2s { return m } else { return nil } }
        #expect(messages.map(\.length) == [208, nil, 36])
        #expect(messages[1].text == nil && messages[1].note?.contains("cannot be inflated") == true)
        #expect(messages[2].text == String(repeating: "z", count: 36))
    }

    @Test func violationsAreFlaggedWithTheirRuleAndSection() throws {
        let records = try Self.decode("violations.pcap")
        #expect(Self.violations(records) == ["unmaskedClientFrame", "reservedBitsSet", "controlFrameTooLong", "invalidUTF8",
                                             "maskedServerFrame", "invalidCloseCode"])
        // A hixie frame still open when the capture stops is unfinished, not a violation: the
        // capture, not the peer, ended it.
        let unfinished = records.compactMap { if case .gap(let g) = $0, g.connection == 2 { return g.note } else { return nil } }
        #expect(unfinished == ["the data ends inside a hixie text frame (10 bytes of it, no closing 0xFF yet)"])
        let sections = records.compactMap { if case .violation(let v) = $0 { return v.section } else { return nil } }
        #expect(sections.prefix(2) == ["RFC 6455 §5.1", "RFC 6455 §5.2"])
        #expect(Self.texts(records, .c2s, connection: 2) == ["bonjour"], "the hixie-76 session in the same file")
        let summaries = records.compactMap { if case .summary(let s) = $0 { return s } else { return nil } }
        #expect(summaries.map(\.violations) == [6, 0])
    }

    @Test func captureStartingMidStreamIsDecodedWithANote() throws {
        let records = try Self.decode("mid-stream.pcap")
        let connection = try #require(records.compactMap { if case .connection(let c) = $0 { return c } else { return nil } }.first)
        #expect(connection.note?.hasPrefix("mid-stream") == true)
        #expect(Self.texts(records, .c2s) == ["caught mid-stream"] && Self.texts(records, .s2c) == ["caught mid-stream"])
    }

    @Test func notACaptureFileIsAClearError() {
        var decoder = CaptureDecoder()
        #expect(throws: CaptureError.notACaptureFile) {
            _ = try decoder.feed(Array("GET / HTTP/1.1\r\n\r\nnot a capture at all".utf8))
        }
    }

    /// Any chunking of the file gives the same records (the CLI reads 1 MiB at a time).
    @Test func chunkingDoesNotMatter() throws {
        let bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent("violations.pcap")))
        let whole = try RealCaptureTests.decode(Self.folder.appendingPathComponent("violations.pcap"))
        for size in [1, 7, 100] {
            var decoder = CaptureDecoder(options: .init(maxPayload: 1 << 20))
            var records: [DecodeRecord] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                records += try decoder.feed(bytes[start..<min(start + size, bytes.count)])
            }
            records += try decoder.finish()
            #expect(records == whole, "chunks of \(size) bytes")
        }
    }
}
