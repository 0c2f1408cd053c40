import Testing
@testable import WebSocketCore

/// A client connection's masking keys (RFC 6455 §5.3) come from the generator it was given, a
/// fresh key per frame; the generator is boxed only when injected, and copied on write, so a copy
/// of a connection draws exactly what the original draws.
@Suite struct MaskingKeySourceTests {
    @Test func keysAreTheInjectedGeneratorsDrawsInTurn() {
        var source = MaskingKeySource(SeededRandom(seed: 9))
        var reference = SeededRandom(seed: 9)
        for _ in 0..<4 {
            #expect(source.next() == UInt32(truncatingIfNeeded: reference.next()))
        }
    }

    @Test func aCopyDrawsWhatTheOriginalDraws() {
        var original = MaskingKeySource(SeededRandom(seed: 21))
        _ = original.next()
        var copy = original
        let fromOriginal = (original.next(), original.next())
        let fromCopy = (copy.next(), copy.next())
        #expect(fromOriginal == fromCopy)
    }

    @Test func aCopiedClientConnectionFramesTheSameBytes() throws {
        var client = RFC6455Connection(role: .client, random: SeededRandom(seed: 4))
        var copy = client
        let frame = try client.send(.text("bonjour"))
        #expect(try copy.send(.text("bonjour")) == frame)
        #expect(frame[1] & 0x80 != 0, "a client frame is masked (§5.3)")
        let next = try client.send(.text("bonjour"))
        #expect(Array(next[2..<6]) != Array(frame[2..<6]), "a fresh key per frame")
    }

    @Test func theSystemGeneratorGivesFreshKeys() {
        var source = MaskingKeySource(SystemRandomNumberGenerator())
        let keys = Set((0..<8).map { _ in source.next() })
        #expect(keys.count > 1)
    }
}
