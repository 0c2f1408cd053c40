import Synchronization

/// What an operator watches on a cluster instance: served at `/metrics` (Prometheus text) and
/// logged every minute. Thread-safe: updated by the link's tasks, read by any connection.
public final class ClusterMetrics: Sendable {
    public struct Values: Sendable, Equatable {
        /// Lines this instance wrote to the table.
        public var published = 0
        public var publishBatches = 0
        /// Lines delivered to this instance's members, by origin.
        public var deliveredOwn = 0
        public var deliveredRemote = 0
        /// This instance's NOTIFY echoes dropped (already delivered from the INSERT's answer).
        public var ownEchoesDropped = 0
        /// Duplicates dropped by the sequencer (catch-up overlap and the like).
        public var duplicates = 0
        /// Table reads that filled a gap, and the rows they read.
        public var catchUps = 0
        public var catchUpRows = 0
        public var listenerReconnects = 0
        public var databaseErrors = 0
        public var lostToRetention: Int64 = 0
        /// Members closed with 1013 because the outbox was full.
        public var outboxRefusals = 0
        public var outboxDepth = 0
        public var available = false
    }

    private let state = Mutex((values: Values(), latencies: LatencyRing()))

    public init() {}

    public var values: Values { state.withLock { $0.values } }

    public func update(_ body: (inout Values) -> Void) {
        state.withLock { body(&$0.values) }
    }

    /// One cross-instance delivery: from the publishing instance's receipt to this one's delivery.
    public func recordLatency(micros: Int64) {
        state.withLock { $0.latencies.add(max(0, micros)) }
    }

    /// Percentiles (µs) over the last `LatencyRing.capacity` cross-instance deliveries.
    public func latencyPercentiles(_ quantiles: [Double]) -> [Int64] {
        let samples = state.withLock { $0.latencies.samples }.sorted()
        guard !samples.isEmpty else { return quantiles.map { _ in 0 } }
        return quantiles.map { samples[min(samples.count - 1, Int(($0 * Double(samples.count)).rounded(.down)))] }
    }

    /// Prometheus text exposition format.
    public func exposition() -> String {
        let v = values
        let (p50, p99, p999) = { (p: [Int64]) in (p[0], p[1], p[2]) }(latencyPercentiles([0.5, 0.99, 0.999]))
        let rows: [(String, String, String, Int64)] = [
            ("passerelle_cluster_available", "gauge", "1 when the LISTEN connection is up and caught up and writes succeed", v.available ? 1 : 0),
            ("passerelle_cluster_published_total", "counter", "lines written to the table by this instance", Int64(v.published)),
            ("passerelle_cluster_publish_batches_total", "counter", "INSERT statements (batches of lines)", Int64(v.publishBatches)),
            ("passerelle_cluster_delivered_own_total", "counter", "own lines delivered to local members", Int64(v.deliveredOwn)),
            ("passerelle_cluster_delivered_remote_total", "counter", "other instances' lines delivered to local members", Int64(v.deliveredRemote)),
            ("passerelle_cluster_own_echoes_dropped_total", "counter", "own NOTIFY echoes dropped", Int64(v.ownEchoesDropped)),
            ("passerelle_cluster_duplicates_total", "counter", "records received twice and dropped", Int64(v.duplicates)),
            ("passerelle_cluster_catch_ups_total", "counter", "table reads that filled a gap", Int64(v.catchUps)),
            ("passerelle_cluster_catch_up_rows_total", "counter", "rows read by catch-ups", Int64(v.catchUpRows)),
            ("passerelle_cluster_listener_reconnects_total", "counter", "LISTEN connection losses", Int64(v.listenerReconnects)),
            ("passerelle_cluster_database_errors_total", "counter", "failed connections and statements", Int64(v.databaseErrors)),
            ("passerelle_cluster_lost_to_retention_total", "counter", "sequences deleted before this instance read them", v.lostToRetention),
            ("passerelle_cluster_outbox_refusals_total", "counter", "members closed with 1013, outbox full", Int64(v.outboxRefusals)),
            ("passerelle_cluster_outbox_depth", "gauge", "lines waiting to be written", Int64(v.outboxDepth)),
            ("passerelle_cluster_latency_p50_microseconds", "gauge", "cross-instance delivery latency, median of recent", p50),
            ("passerelle_cluster_latency_p99_microseconds", "gauge", "cross-instance delivery latency, p99 of recent", p99),
            ("passerelle_cluster_latency_p999_microseconds", "gauge", "cross-instance delivery latency, p99.9 of recent", p999),
        ]
        return rows.map { "# HELP \($0.0) \($0.2)\n# TYPE \($0.0) \($0.1)\n\($0.0) \($0.3)\n" }.joined()
    }
}

/// The last `capacity` latency samples.
struct LatencyRing: Sendable {
    static let capacity = 8_192
    private(set) var samples: [Int64] = []
    private var nextSlot = 0

    mutating func add(_ sample: Int64) {
        if samples.count < Self.capacity {
            samples.append(sample)
        } else {
            samples[nextSlot] = sample
            nextSlot = (nextSlot + 1) % Self.capacity
        }
    }
}
