import Testing
import WebSocketCore

/// The inflater writes a message's first output straight into its array and the rest through a
/// stack scratch: whatever the ratio and however the input is split, the bytes are the message's,
/// and the size limit holds to the byte.
@Suite struct InflaterOutputTests {
    static func compressed(_ message: [UInt8]) throws -> [UInt8] {
        try Deflater(windowBits: 15).compress(message)
    }

    /// Inflates `payload` in pieces cut at `cuts`, then the message's sync tail (RFC 7692 §7.2.2).
    static func inflate(_ payload: [UInt8], cuts: [Int] = [], limit: Int) throws(WebSocketError) -> [UInt8] {
        let inflater = try! Inflater(windowBits: 15)
        var output: [UInt8] = []
        var start = 0
        for end in cuts + [payload.count] where end >= start {
            try inflater.inflate(payload[start..<end], into: &output, limit: limit)
            start = end
        }
        try inflater.finishMessage(into: &output, limit: limit)
        return output
    }

    static let messages: [(String, [UInt8])] = {
        var random = SeededRandom(seed: 7)
        return [
            ("short", Array("Bonjour le salon".utf8)),
            ("chat JSON", Array(#"{"action":"ctrl/chat/out","msg":"{\"from\":\"tv\",\"message\":\"la télé du salon parle encore hixie-76\"}"}"#.utf8)),
            ("inflates 50×, more than the first space", Array(String(repeating: "passerelle ", count: 3000).utf8)),
            ("past the largest first space", Array(String(repeating: "a", count: 600_000).utf8)),
            ("incompressible", (0..<50_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }),
        ]
    }()

    @Test(arguments: messages.indices) func everyRatioAndSplitGivesTheMessage(_ index: Int) throws {
        let (name, message) = Self.messages[index]
        let payload = try Self.compressed(message)
        #expect(try Self.inflate(payload, limit: 1 << 20) == message, "\(name), whole")
        for cuts in [[1], [payload.count / 2], [3, payload.count / 3, payload.count - 2]] {
            #expect(try Self.inflate(payload, cuts: cuts, limit: 1 << 20) == message, "\(name), cut at \(cuts)")
        }
    }

    @Test func theLimitHoldsToTheByte() throws {
        let message = Array(String(repeating: "passerelle ", count: 3000).utf8)
        let payload = try Self.compressed(message)
        #expect(try Self.inflate(payload, limit: message.count) == message)
        #expect(throws: WebSocketError.messageTooLarge(limit: message.count - 1)) {
            _ = try Self.inflate(payload, limit: message.count - 1)
        }
        // A bomb: 600 KB of one letter in about 600 bytes, against a 64 KiB limit, in one piece and cut.
        let bomb = try Self.compressed(Array(repeating: UInt8(ascii: "a"), count: 600_000))
        for cuts in [[], [bomb.count / 2]] {
            #expect(throws: WebSocketError.messageTooLarge(limit: 65_536)) { _ = try Self.inflate(bomb, cuts: cuts, limit: 65_536) }
        }
    }
}
