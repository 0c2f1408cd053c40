/// Round-trip times in microseconds, for percentiles. One per event loop: no locking.
public final class LatencyRecorder {
    private(set) var samples: [UInt32] = []

    public init(expected: Int = 1 << 20) { samples.reserveCapacity(expected) }

    func record(nanoseconds: UInt64) { samples.append(UInt32(min(nanoseconds / 1000, UInt64(UInt32.max)))) }

    public var count: Int { samples.count }

    func reset() { samples.removeAll(keepingCapacity: true) }

    /// Percentiles (0…100) of every recorded sample, in microseconds.
    public static func percentiles(_ recorders: [LatencyRecorder], _ points: [Double]) -> [Double] {
        let all = recorders.flatMap(\.samples).sorted()
        guard !all.isEmpty else { return points.map { _ in 0 } }
        return points.map { p in Double(all[min(all.count - 1, Int((Double(all.count) * p / 100).rounded(.down)))]) }
    }
}
