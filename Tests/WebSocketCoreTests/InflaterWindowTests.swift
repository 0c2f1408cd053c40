import Testing
import WebSocketCore

/// A checker's inflater refuses back-references beyond the window the sender agreed to
/// (RFC 7692 §7.1.2.1); a server's reads whatever zlib can resolve.
@Suite struct InflaterWindowTests {
    /// 1,000 letters that do not repeat much, twice: the second half refers 1,000 bytes back.
    static let farRepeat: [UInt8] = {
        var random = SeededRandom(seed: 21)
        let block = (0..<1_000).map { _ in UInt8(ascii: "a") + UInt8(random.next() % 26) }
        return block + block
    }()

    @Test func aReferenceBeyondTheWindowIsRefusedWhenVerified() throws {
        let compressed = try Deflater(windowBits: 15).compress(Self.farRepeat)
        #expect(compressed.count < 1_500, "the repeat is compressed as a back-reference")
        var output: [UInt8] = []
        #expect(throws: WebSocketError.self) {
            try Inflater(windowBits: 9, verifiesWindow: true).inflate(compressed, into: &output, limit: 1 << 20)
        }
        output = []
        try Inflater(windowBits: 9).inflate(compressed, into: &output, limit: 1 << 20)
        #expect(output == Self.farRepeat, "without verification zlib resolves it from its own output")
    }

    @Test(arguments: [9, 10, 12, 15])
    func whatTheAgreedWindowMadeInflatesWhenVerified(bits: Int) throws {
        let compressed = try Deflater(windowBits: bits).compress(Self.farRepeat)
        var output: [UInt8] = []
        try Inflater(windowBits: bits, verifiesWindow: true).inflate(compressed, into: &output, limit: 1 << 20)
        #expect(output == Self.farRepeat)
    }
}
