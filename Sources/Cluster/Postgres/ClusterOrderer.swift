import Foundation
import Logging
import PostgresNIO
import Room

/// The instance's side of the room's total order: feeds every record (own INSERT answers, NOTIFY,
/// catch-up reads) to the `RoomSequencer` and hands what it releases to the members, in order.
/// An actor: one record at a time, and `deliver` is called in sequence order.
actor ClusterOrderer {
    private var sequencer: RoomSequencer
    /// The LISTEN connection while it is up: catch-up reads go through it (after its LISTEN, so
    /// nothing committed in between is missed).
    private var connection: PostgresConnection?
    private var catchUpScheduled = false
    private var catchingUp = false
    private let settings: ClusterSettings
    private let metrics: ClusterMetrics
    private let logger: Logger
    private let deliver: @Sendable ([ClusterRecord]) -> Void

    init(settings: ClusterSettings, metrics: ClusterMetrics, logger: Logger, deliver: @escaping @Sendable ([ClusterRecord]) -> Void) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.deliver = deliver
        sequencer = RoomSequencer(holdLimit: settings.holdLimit)
    }

    /// LISTEN is in place on `connection`: read what was missed (on first connection, only where
    /// the room stands: members joining now get no history), then follow the notifications.
    func listenerUp(_ connection: PostgresConnection) async throws {
        self.connection = connection
        try await catchUp()
    }

    func listenerDown() {
        connection = nil
    }

    func notification(_ payload: String) {
        guard let notice = ClusterNotice.decode(payload), notice.room == settings.room else {
            logger.debug("cluster: foreign notification ignored", metadata: ["payload": "\(payload.prefix(80))"])
            return
        }
        // Own echo: this instance delivered it from its INSERT's answer already.
        if notice.instance == settings.instance, let next = sequencer.next, notice.sequence < next {
            metrics.update { $0.ownEchoesDropped += 1 }
            return
        }
        switch notice {
        case .inline(let record):
            release(sequencer.receive(record))
            followGap(grace: settings.gapGraceSeconds)
        case .reference(_, let sequence, _):
            sequencer.receiveReference(sequence: sequence)
            followGap(grace: 0)  // the row must be read anyway
        }
    }

    /// Rows this instance just inserted, with their sequences.
    func published(_ records: [ClusterRecord]) {
        for record in records { release(sequencer.receive(record)) }
        followGap(grace: settings.gapGraceSeconds)
    }

    private func release(_ records: [ClusterRecord]) {
        guard !records.isEmpty else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        var own = 0
        for record in records {
            if record.instance == settings.instance { own += 1 } else { metrics.recordLatency(micros: now - record.sentAtMicros) }
        }
        let counters = sequencer.counters
        metrics.update {
            $0.deliveredOwn += own
            $0.deliveredRemote += records.count - own
            $0.duplicates = counters.duplicates
            $0.lostToRetention = counters.lostToRetention
        }
        deliver(records)
    }

    /// A sequence is missing: give NOTIFY `grace` to bring it, then read the table.
    private func followGap(grace: Double) {
        guard sequencer.hasGap, !catchUpScheduled else { return }
        catchUpScheduled = true
        Task {
            if grace > 0 { try? await Task.sleep(nanoseconds: UInt64(grace * 1e9)) }
            await self.scheduledCatchUp()
        }
    }

    private func scheduledCatchUp() async {
        catchUpScheduled = false
        guard sequencer.hasGap else { return }
        do {
            try await catchUp()
        } catch {
            // The LISTEN loop sees a dead connection by itself and catches up when it is back.
            metrics.update { $0.databaseErrors += 1 }
            logger.warning("cluster: catch-up read failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Reads the table from the next sequence to deliver until the gap is closed.
    private func catchUp() async throws {
        guard let connection, !catchingUp else { return }
        catchingUp = true
        defer { catchingUp = false }
        var more = true
        while more {
            let from = sequencer.next ?? Int64.max  // not started: only the room's last sequence
            var snapshotLast: Int64 = 0
            var rows: [ClusterRecord] = []
            let query = ClusterSchema.catchUp(room: settings.room, from: from, limit: settings.catchUpBatch)
            for try await (last, sequence, instance, sender, message, via, sentAt)
                in try await connection.query(query, logger: logger).decode((Int64, Int64?, String?, String?, String?, String?, Int64?).self) {
                snapshotLast = last
                if let sequence, let instance, let sender, let message, let via, let sentAt {
                    rows.append(ClusterRecord(room: settings.room, sequence: sequence, instance: instance,
                                              line: ChatLine(from: sender, message: message), via: via, sentAtMicros: sentAt))
                }
            }
            if sequencer.next == nil {
                logger.info("cluster: following the room", metadata: ["room": "\(settings.room)", "after": "\(snapshotLast)"])
                release(sequencer.start(after: snapshotLast))
                more = false
            } else {
                let complete = rows.count < settings.catchUpBatch
                let lostBefore = sequencer.counters.lostToRetention
                release(sequencer.applyCatchUp(rows: rows, snapshotLast: snapshotLast, complete: complete))
                metrics.update { $0.catchUps += 1; $0.catchUpRows += rows.count }
                if sequencer.counters.lostToRetention > lostBefore {
                    logger.warning("cluster: lines deleted by retention before this instance read them",
                                   metadata: ["count": "\(sequencer.counters.lostToRetention - lostBefore)"])
                }
                more = !complete
            }
        }
        followGap(grace: settings.gapGraceSeconds)
    }
}
