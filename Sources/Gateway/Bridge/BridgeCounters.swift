import Bridge
import Synchronization

/// Per-route figures of the bridge for `/metrics` (open pairs, messages and bytes each way,
/// closes by leg and code, upstream failures by kind, messages not relayed), and each route's
/// turn among its upstreams. Shared by every event loop.
final class BridgeCounters: Sendable {
    struct Figures: Sendable {
        var openPairs = 0
        /// By the leg that was closed and the code it was closed with ("none": no status code,
        /// "fin": a hixie leg's end of TCP).
        var closes: [Leg: [String: Int]] = [:]
        var failures: [String: Int] = [:]
        /// Connect failures after which the next upstream was tried.
        var retries = 0
        var dropped = 0
        var nextTarget = 0
    }

    private let figures: Mutex<[String: Figures]>
    /// Messages and bytes relayed, per route (`RouteTraffic`: lock-free, held by each pair).
    private let traffic: [String: RouteTraffic]

    init(paths: some Sequence<String>) {
        let paths = Array(paths)
        figures = Mutex(Dictionary(uniqueKeysWithValues: paths.map { ($0, Figures()) }))
        traffic = Dictionary(uniqueKeysWithValues: paths.map { ($0, RouteTraffic()) })
    }

    /// The route's message and byte counts (a route the counters were not made with gets its own, unreported).
    func traffic(for path: String) -> RouteTraffic { traffic[path] ?? RouteTraffic() }

    func update(_ path: String, _ change: (inout Figures) -> Void) {
        figures.withLock { change(&$0[path, default: Figures()]) }
    }

    func snapshot(_ path: String) -> Figures {
        figures.withLock { $0[path] ?? Figures() }
    }

    /// Round robin: the index of the upstream the route's next pair tries first.
    func nextTarget(for path: String, count: Int) -> Int {
        guard count > 1 else { return 0 }
        return figures.withLock {
            let index = $0[path, default: Figures()].nextTarget % count
            $0[path]?.nextTarget = index + 1
            return index
        }
    }

    /// Prometheus text exposition, one series per route.
    func exposition() -> String {
        let all = figures.withLock { $0 }
        guard !all.isEmpty else { return "" }
        var lines = [
            "# HELP passerelle_bridge_open_pairs bridged pairs open", "# TYPE passerelle_bridge_open_pairs gauge",
        ]
        var messages = ["# HELP passerelle_bridge_messages_total messages relayed, by the leg they went to", "# TYPE passerelle_bridge_messages_total counter"]
        var bytes = ["# HELP passerelle_bridge_bytes_total payload bytes relayed, by the leg they went to", "# TYPE passerelle_bridge_bytes_total counter"]
        var closes = ["# HELP passerelle_bridge_closes_total legs closed by Passerelle's relay, by leg and code", "# TYPE passerelle_bridge_closes_total counter"]
        var failures = ["# HELP passerelle_bridge_upstream_failures_total upgrades the backend did not complete, by kind", "# TYPE passerelle_bridge_upstream_failures_total counter"]
        var retries = ["# HELP passerelle_bridge_upstream_retries_total connect failures after which the next upstream was tried", "# TYPE passerelle_bridge_upstream_retries_total counter"]
        var dropped = ["# HELP passerelle_bridge_dropped_total messages not relayed (binary=drop, or their leg was closing)", "# TYPE passerelle_bridge_dropped_total counter"]
        for (path, figures) in all.sorted(by: { $0.key < $1.key }) {
            let route = "route=\"\(path)\""
            lines.append("passerelle_bridge_open_pairs{\(route)} \(figures.openPairs)")
            for leg in Leg.allCases {
                let traffic = traffic(for: path)
                messages.append("passerelle_bridge_messages_total{\(route),to=\"\(leg.rawValue)\"} \(traffic.messages(to: leg))")
                bytes.append("passerelle_bridge_bytes_total{\(route),to=\"\(leg.rawValue)\"} \(traffic.bytes(to: leg))")
                for (code, count) in (figures.closes[leg] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    closes.append("passerelle_bridge_closes_total{\(route),leg=\"\(leg.rawValue)\",code=\"\(code)\"} \(count)")
                }
            }
            for (kind, count) in figures.failures.sorted(by: { $0.key < $1.key }) {
                failures.append("passerelle_bridge_upstream_failures_total{\(route),kind=\"\(kind)\"} \(count)")
            }
            retries.append("passerelle_bridge_upstream_retries_total{\(route)} \(figures.retries)")
            dropped.append("passerelle_bridge_dropped_total{\(route)} \(figures.dropped)")
        }
        return (lines + messages + bytes + closes + failures + retries + dropped).joined(separator: "\n") + "\n"
    }
}
