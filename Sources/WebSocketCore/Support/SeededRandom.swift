/// A deterministic random source (SplitMix64) for reproducible masks and keys in tests and
/// conformance runs. Not for production keys: use `SystemRandomNumberGenerator`.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Returns the given values in turn, then repeats the last: lets a fixture name the exact
/// masking keys a client uses (each key is one `next()`, truncated to 32 bits).
public struct ScriptedRandom: RandomNumberGenerator, Sendable {
    private var values: [UInt64]
    private var index = 0

    public init(_ values: [UInt64]) {
        precondition(!values.isEmpty)
        self.values = values
    }

    public mutating func next() -> UInt64 {
        let value = values[min(index, values.count - 1)]
        index += 1
        return value
    }
}
