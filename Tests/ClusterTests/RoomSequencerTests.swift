import Testing
import Cluster
import Room

/// The cluster's ordering rules without a database: every record leaves once, in sequence order,
/// whatever order and however many times records arrive.
@Suite struct RoomSequencerTests {
    static func record(_ sequence: Int64, _ instance: String = "B") -> ClusterRecord {
        ClusterRecord(room: "chat", sequence: sequence, instance: instance, line: ChatLine(from: instance, message: "\(sequence)"),
                      via: "rfc6455", sentAtMicros: 0)
    }

    @Test func holdsRecordsUntilStartedThenDropsWhatCameBefore() {
        var sequencer = RoomSequencer()
        #expect(sequencer.receive(Self.record(5)).isEmpty)
        #expect(sequencer.receive(Self.record(6)).isEmpty)
        // Started after 5: the room stood at 5 when this instance joined; 5 is history.
        #expect(sequencer.start(after: 5).map(\.sequence) == [6])
        #expect(!sequencer.hasGap)
    }

    @Test func deliversInOrderWhateverTheArrivalOrderAndDropsDuplicates() {
        var sequencer = RoomSequencer()
        _ = sequencer.start(after: 0)
        var delivered: [Int64] = []
        for sequence: Int64 in [2, 3, 1, 3, 5, 1, 4, 6, 6] {
            delivered += sequencer.receive(Self.record(sequence)).map(\.sequence)
        }
        #expect(delivered == [1, 2, 3, 4, 5, 6])
        #expect(sequencer.counters.duplicates == 3)
        #expect(!sequencer.hasGap)
    }

    @Test func aGapIsReportedAndFilledFromTheTable() {
        var sequencer = RoomSequencer()
        _ = sequencer.start(after: 10)
        #expect(sequencer.receive(Self.record(14)).isEmpty)
        #expect(sequencer.hasGap)
        // The table, read from 11 in one snapshot where the room stood at 15.
        let released = sequencer.applyCatchUp(rows: [11, 12, 13, 14, 15].map { Self.record($0) }, snapshotLast: 15, complete: true)
        #expect(released.map(\.sequence) == [11, 12, 13, 14, 15])
        #expect(!sequencer.hasGap)
        #expect(sequencer.next == 16)
    }

    @Test func aReferenceOnlyNoticeMakesAGapThatTheRowFills() {
        var sequencer = RoomSequencer()
        _ = sequencer.start(after: 0)
        sequencer.receiveReference(sequence: 1)
        #expect(sequencer.hasGap)
        #expect(sequencer.applyCatchUp(rows: [Self.record(1)], snapshotLast: 1, complete: true).map(\.sequence) == [1])
        #expect(!sequencer.hasGap)
    }

    @Test func anIncompleteReadCoversOnlyItsRows() {
        var sequencer = RoomSequencer()
        _ = sequencer.start(after: 0)
        sequencer.receiveReference(sequence: 5)
        // Limit 2: rows 1, 2 only; 3…5 are not known to be gone.
        #expect(sequencer.applyCatchUp(rows: [Self.record(1), Self.record(2)], snapshotLast: 5, complete: false).map(\.sequence) == [1, 2])
        #expect(sequencer.hasGap)
        #expect(sequencer.counters.lostToRetention == 0)
        #expect(sequencer.applyCatchUp(rows: [3, 4, 5].map { Self.record($0) }, snapshotLast: 5, complete: true).map(\.sequence) == [3, 4, 5])
    }

    @Test func sequencesDeletedByRetentionAreSkippedAndCounted() {
        var sequencer = RoomSequencer()
        _ = sequencer.start(after: 0)
        #expect(sequencer.receive(Self.record(10)).isEmpty)
        // Retention deleted 1…7 while this instance was away.
        let released = sequencer.applyCatchUp(rows: [8, 9, 10].map { Self.record($0) }, snapshotLast: 10, complete: true)
        #expect(released.map(\.sequence) == [8, 9, 10])
        #expect(sequencer.counters.lostToRetention == 7)
        #expect(!sequencer.hasGap)
    }

    @Test func recordsReceivedDuringTheReadAreNotLost() {
        var sequencer = RoomSequencer()
        _ = sequencer.start(after: 0)
        #expect(sequencer.receive(Self.record(3)).isEmpty)
        // While the read of 1… runs, 4 arrives by NOTIFY; the snapshot stood at 3.
        #expect(sequencer.receive(Self.record(4)).isEmpty)
        let released = sequencer.applyCatchUp(rows: [1, 2, 3].map { Self.record($0) }, snapshotLast: 3, complete: true)
        #expect(released.map(\.sequence) == [1, 2, 3, 4])
    }

    @Test func holdingIsBoundedAndTheOverflowIsReadBack() {
        var sequencer = RoomSequencer(holdLimit: 3)
        _ = sequencer.start(after: 0)
        for sequence: Int64 in 2...10 { _ = sequencer.receive(Self.record(sequence)) }
        #expect(sequencer.heldCount == 3)
        #expect(sequencer.counters.overflowed == 6)
        #expect(sequencer.hasGap)
        let released = sequencer.applyCatchUp(rows: (1...10).map { Self.record($0) }, snapshotLast: 10, complete: true)
        #expect(released.map(\.sequence) == Array(1...10))
        #expect(sequencer.counters.lostToRetention == 0)
    }

    @Test func noticesDecodeInlineAndReference() {
        let inline = ClusterNotice.decode(#"{"r":"chat","s":7,"i":"A","f":"TV","m":"bonsoir \u00e9","v":"hixie-76","t":123}"#)
        #expect(inline == .inline(ClusterRecord(room: "chat", sequence: 7, instance: "A", line: ChatLine(from: "TV", message: "bonsoir \u{e9}"),
                                                via: "hixie-76", sentAtMicros: 123)))
        #expect(ClusterNotice.decode(#"{"r":"chat","s":8,"i":"B"}"#) == .reference(room: "chat", sequence: 8, instance: "B"))
        #expect(ClusterNotice.decode("not json") == nil)
        #expect(ClusterNotice.decode(#"{"s":1}"#) == nil)
    }
}
