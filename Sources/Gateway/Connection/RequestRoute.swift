import Bridge
import WebSocketCore

/// Where a valid upgrade request goes, decided before anything is answered: an endpoint, or an
/// HTTP refusal the client can act on.
enum RequestRoute: Equatable {
    case endpoint(GatewayConfiguration.Endpoint)
    /// A path relayed to a backend (`--route`): answered once the backend has.
    case bridge(BridgeRoute)
    /// `failure` is what the connection's report says (nil for a plain 404).
    case refuse(status: Int, headers: [HTTPField], body: String, failure: GatewayError?)

    /// A header line of a refusal (a named pair, so that routes compare).
    struct HTTPField: Equatable {
        var name: String
        var value: String
    }

    /// A bridged path goes to its backend, whatever built-in endpoint it hides; a path with no
    /// endpoint is 404; the room while its cluster database is away is 503 with
    /// `Retry-After`, so that new members go to another instance rather than join a room that
    /// cannot order lines.
    static func decide(path: String, routes: [String: GatewayConfiguration.Endpoint], bridges: [String: BridgeRoute] = [:],
                       roomAvailable: Bool) -> RequestRoute {
        if let bridge = bridges[path] { return .bridge(bridge) }
        guard let endpoint = routes[path] else {
            return .refuse(status: 404, headers: [], body: "no WebSocket endpoint at \(path)\n", failure: nil)
        }
        if endpoint == .room, !roomAvailable {
            let refusal = GatewayError.roomUnavailable
            return .refuse(status: refusal.httpStatus ?? 503, headers: [HTTPField(name: "Retry-After", value: "5")],
                           body: refusal.reason + "\n", failure: refusal)
        }
        return .endpoint(endpoint)
    }
}
