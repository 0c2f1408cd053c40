/// Delivers one room's records in the cluster's order, sans I/O: records arrive from the
/// instance's own INSERTs, from NOTIFY and from catch-up reads, in any order and possibly twice;
/// they leave exactly once, by sequence, with no gap. The shell (`PostgresRoomLink`) reads the
/// table when `hasGap` says a sequence is missing.
///
/// Why a gap can only be filled from the table, never waited out for ever: the room's sequence is
/// taken in the same transaction that inserts the row (`ClusterSchema.publish`), so a number is
/// either committed with its row or rolled back with it — a later number committed means every
/// earlier one is in the table, unless retention deleted it.
public struct RoomSequencer: Sendable {
    /// The next sequence to deliver; nil until `start(after:)` (records are held until then).
    public private(set) var next: Int64?
    /// The highest sequence known to be committed (from any record, reference or catch-up).
    public private(set) var highestKnown: Int64 = 0
    /// Records held back until the ones before them arrive. Bounded: past `holdLimit`, records
    /// are dropped here and read again from the table (they are committed, so they are there).
    private var held: [Int64: ClusterRecord] = [:]
    public let holdLimit: Int
    public private(set) var counters = Counters()

    public struct Counters: Equatable, Sendable {
        /// Records that arrived again (own NOTIFY echo after the INSERT, catch-up overlap).
        public var duplicates = 0
        /// Records dropped because too many were held; the table had them.
        public var overflowed = 0
        /// Sequences found deleted (retention ran past an instance that lagged behind).
        public var lostToRetention: Int64 = 0
    }

    public init(holdLimit: Int = 10_000) {
        self.holdLimit = max(1, holdLimit)
    }

    public var heldCount: Int { held.count }

    /// A known sequence has not been delivered: something before it is missing, or only a
    /// reference to it arrived. The shell reads the table (after a short grace, see `PostgresRoomLink`).
    public var hasGap: Bool {
        guard let next else { return false }
        return highestKnown >= next
    }

    /// Starts (or restarts) ordering after `last`: on first connection the room's current last
    /// sequence (members joining now do not get history), later the last delivered one.
    public mutating func start(after last: Int64) -> [ClusterRecord] {
        next = last + 1
        highestKnown = max(highestKnown, last)
        held = held.filter { $0.key > last }
        return drain()
    }

    /// One record from anywhere: what can now be delivered, in order.
    public mutating func receive(_ record: ClusterRecord) -> [ClusterRecord] {
        highestKnown = max(highestKnown, record.sequence)
        if let next, record.sequence < next {
            counters.duplicates += 1
            return []
        }
        if held[record.sequence] != nil {
            counters.duplicates += 1
            return []
        }
        if record.sequence != next && held.count >= holdLimit {
            counters.overflowed += 1
            return []
        }
        held[record.sequence] = record
        return drain()
    }

    /// A NOTIFY that carried only a reference (the line was too large for the payload).
    public mutating func receiveReference(sequence: Int64) {
        highestKnown = max(highestKnown, sequence)
    }

    /// The table's rows from `next` on, in sequence order, read in one snapshot in which the
    /// room's last sequence was `snapshotLast`; `complete` when the read was not cut by its limit.
    /// Every sequence the read covers that is neither among the rows nor held is gone for good
    /// (see the type's comment) and is skipped, counted in `lostToRetention`.
    public mutating func applyCatchUp(rows: [ClusterRecord], snapshotLast: Int64, complete: Bool) -> [ClusterRecord] {
        guard var sequence = next else { return [] }
        highestKnown = max(highestKnown, snapshotLast)
        for row in rows where row.sequence >= sequence {
            if held[row.sequence] == nil { held[row.sequence] = row }
        }
        let coveredUpTo = complete ? snapshotLast : (rows.last?.sequence ?? sequence - 1)
        var delivered: [ClusterRecord] = []
        while sequence <= coveredUpTo {
            if let record = held.removeValue(forKey: sequence) {
                delivered.append(record)
            } else {
                counters.lostToRetention += 1
            }
            sequence += 1
        }
        next = sequence
        return delivered + drain()
    }

    private mutating func drain() -> [ClusterRecord] {
        guard var sequence = next else { return [] }
        var delivered: [ClusterRecord] = []
        while let record = held.removeValue(forKey: sequence) {
            delivered.append(record)
            sequence += 1
        }
        next = sequence
        return delivered
    }
}
