import Testing
import WebSocketCore

/// Every file under Fixtures/ is a test: adding a fixture adds a test.
@Suite struct FixtureTests {
    static let fixtures = Fixture.all()

    @Test func fixtureCorpusIsLarge() {
        #expect(Self.fixtures.count >= 150, "Fixtures/ holds \(Self.fixtures.count) files")
    }

    @Test(arguments: fixtures)
    func fixtureHoldsItsExpectation(_ fixture: Fixture) throws {
        let expected = try FixtureRunner.expected(fixture)
        let observed = try FixtureRunner.observe(fixture)
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            #expect((observed[key] ?? "(absent)") == value, "\(fixture.name): \(key)\n  expected: \(value)\n  observed: \(observed[key] ?? "(nothing)")")
        }
    }

    /// Every stream parser fed the input split at every byte boundary (two reads), and one byte
    /// at a time, must observe exactly what it observes from one read.
    @Test(arguments: fixtures.filter { FixtureRunner.streamKinds.contains($0.kind) })
    func splitAtEveryByteGivesSameEvents(_ fixture: Fixture) throws {
        let reference = try FixtureRunner.observe(fixture)
        let inputKey = fixture.kind == "client-handshake" ? "response" : "input"
        let input = try fixture.bytes(inputKey) ?? []
        // Inputs over 2 KiB (a few large-payload fixtures): every boundary in the first and last
        // 512 bytes, where headers and tails are, and a prime stride through the payload between.
        let boundaries = input.count <= 2048 ? Array(0...input.count)
            : Array(0...512) + Array(stride(from: 513, to: input.count - 512, by: 1021)) + Array((input.count - 512)...input.count)
        for cut in boundaries {
            let observed = try FixtureRunner.observe(fixture, split: { bytes in [Array(bytes[..<cut]), Array(bytes[cut...])] }, lending: false)
            #expect(observed == reference, "\(fixture.name) split at byte \(cut)")
            if observed != reference { return }
        }
        if input.count <= 8192 {
            let byteByByte = try FixtureRunner.observe(fixture) { bytes in bytes.map { [$0] } }
            #expect(byteByByte == reference, "\(fixture.name) fed one byte at a time")
        }
    }
}
