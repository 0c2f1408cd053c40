import Bridge
import Synchronization

/// A route's message and byte counts each way, updated by every relayed message on any event
/// loop: atomics each pair holds directly, so the per-message path takes no lock and looks up
/// no route.
final class RouteTraffic: Sendable {
    private let messagesToClient = Atomic<Int>(0)
    private let messagesToUpstream = Atomic<Int>(0)
    private let bytesToClient = Atomic<Int>(0)
    private let bytesToUpstream = Atomic<Int>(0)

    /// One message of `payloadBytes` relayed to `leg`.
    func relayed(to leg: Leg, payloadBytes: Int) {
        switch leg {
        case .client:
            messagesToClient.wrappingAdd(1, ordering: .relaxed)
            bytesToClient.wrappingAdd(payloadBytes, ordering: .relaxed)
        case .upstream:
            messagesToUpstream.wrappingAdd(1, ordering: .relaxed)
            bytesToUpstream.wrappingAdd(payloadBytes, ordering: .relaxed)
        }
    }

    func messages(to leg: Leg) -> Int {
        leg == .client ? messagesToClient.load(ordering: .relaxed) : messagesToUpstream.load(ordering: .relaxed)
    }

    func bytes(to leg: Leg) -> Int {
        leg == .client ? bytesToClient.load(ordering: .relaxed) : bytesToUpstream.load(ordering: .relaxed)
    }
}
