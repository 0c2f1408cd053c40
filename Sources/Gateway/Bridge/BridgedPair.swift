import Bridge
import WebSocketCore

/// A bridged pair as its client's connection holds it: the route, the upstream leg being tried
/// or open, and once the backend accepted, the relay between the two legs. Touched on the
/// client's event loop only (the upstream leg runs there too).
final class BridgedPair {
    let route: BridgeRoute
    /// The route's message and byte counts, which every relayed message updates.
    let traffic: RouteTraffic
    /// The client's request, kept until the backend answers (a retry sends it to the next upstream).
    var request: AcceptedHandshake?
    /// The upstreams in the order this pair tries them (the route's turn, healthy ones first);
    /// `attempt` counts the connect failures so far.
    let targets: [RouteTarget]
    var attempt = 0
    var upstream: UpstreamLeg?
    var relay: Relay?
    /// Reading from the client is paused by the relay (a full upstream) or while the backend decides.
    var clientReadingPaused = true

    init(route: BridgeRoute, traffic: RouteTraffic, targets: [RouteTarget], request: AcceptedHandshake) {
        self.route = route
        self.traffic = traffic
        self.targets = targets
        self.request = request
    }

    var target: RouteTarget { targets[attempt] }

    /// Whether a connect failure may try another upstream (each one once; never after a 101).
    var mayRetry: Bool { attempt + 1 < targets.count }
}
