import Bridge
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The routes' active health check: every interval, a TCP connection to each upstream within the
/// upstream timeout (what HAProxy's `check` does by default: the backend accepts connections).
/// A new pair tries the healthy upstreams first, in the route's turn, then the others — so a
/// backend that is down costs no client a failed connect, and when every one is down each is
/// still tried.
final class UpstreamHealth: Sendable {
    /// Upstreams (by URL) whose last check failed.
    private let down = Mutex<Set<String>>([])
    private let routes: [BridgeRoute]

    init(routes: some Sequence<BridgeRoute>) {
        self.routes = routes.sorted { $0.path < $1.path }
    }

    func isUp(_ target: RouteTarget) -> Bool {
        down.withLock { !$0.contains(target.description) }
    }

    /// The order a pair tries `targets` in: from `first` round the list, healthy ones first.
    func order(_ targets: [RouteTarget], from first: Int) -> [RouteTarget] {
        let turn = targets.indices.map { targets[(first + $0) % targets.count] }
        let unhealthy = down.withLock { $0 }
        return turn.filter { !unhealthy.contains($0.description) } + turn.filter { unhealthy.contains($0.description) }
    }

    /// Checks every upstream now and then every `interval` seconds (0: never).
    func start(interval: Double, timeout: Double, group: EventLoopGroup, logger: Logger) -> RepeatedTask? {
        guard interval > 0, !routes.isEmpty else { return nil }
        let targets = Array(Set(routes.flatMap(\.targets))).sorted { $0.description < $1.description }
        return group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(Int64(interval * 1000))) { [self] _ in
            for target in targets { check(target, timeout: timeout, group: group, logger: logger) }
        }
    }

    private func check(_ target: RouteTarget, timeout: Double, group: EventLoopGroup, logger: Logger) {
        ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .connect(host: target.host, port: target.port)
            .whenComplete { [self] result in
                let up: Bool
                switch result {
                case .success(let channel):
                    up = true
                    channel.close(promise: nil)
                case .failure:
                    up = false
                }
                let changed = down.withLock { down in
                    up ? down.remove(target.description) != nil : down.insert(target.description).inserted
                }
                if changed {
                    if up {
                        logger.notice("upstream back up", metadata: ["upstream": "\(target)"])
                    } else {
                        logger.warning("upstream down", metadata: ["upstream": "\(target)", "check": "no TCP connection within \(timeout) s"])
                    }
                }
            }
    }

    /// `passerelle_bridge_upstream_up{route,upstream}`: 1 when the last check connected.
    func exposition() -> String {
        guard !routes.isEmpty else { return "" }
        var lines = ["# HELP passerelle_bridge_upstream_up whether the last health check of the upstream connected",
                     "# TYPE passerelle_bridge_upstream_up gauge"]
        for route in routes {
            for target in route.targets {
                lines.append("passerelle_bridge_upstream_up{route=\"\(route.path)\",upstream=\"\(target)\"} \(isUp(target) ? 1 : 0)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
