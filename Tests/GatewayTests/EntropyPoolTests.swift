import Testing
@testable import Gateway

/// Upstream legs' masking keys come from a pool refilled 256 bytes at a time: across many
/// refills every draw is fresh entropy, with none of the repeats a stale or zeroed pool shows
/// (2,000 random 64-bit words repeat one with probability about 1e-13).
@Suite struct EntropyPoolTests {
    @Test func drawsAcrossRefillsDoNotRepeat() {
        var pool = EntropyPool()
        let words = (0..<2000).map { _ in pool.next() }
        #expect(Set(words).count == 2000)
    }

    @Test func poolsShareOneSourceAndDrawDifferentValues() {
        var first = EntropyPool(), second = EntropyPool()
        let drawn = (0..<100).flatMap { _ in [first.next(), second.next()] }
        #expect(Set(drawn).count == 200)
    }
}
