import Logging
import NIOCore
import NIOSSL
import Synchronization

/// What every connection of one server shares — its configuration too: a class, so each
/// connection holds one reference instead of its own copy (the configuration alone is 544 bytes,
/// a quarter of what an idle connection may cost).
final class GatewayServices: Sendable {
    let configuration: GatewayConfiguration
    let registry: ConnectionRegistry
    let budget: BufferBudget
    let room: RoomHub
    let observer: ConnectionObserver?
    /// The server's logger (56 bytes): shared, not copied into every connection.
    let logger: Logger
    /// zlib streams quiet connections freed since the heap trimmer last looked (`HeapTrimmer`).
    let releasedZlibStreams = Atomic<Int>(0)
    /// The bridge's routes: figures and turns among upstreams.
    let bridgeCounters: BridgeCounters
    let bridgedPaths: Set<String>
    let upstreamHealth: UpstreamHealth
    /// The TLS context of `wss://` upstreams, made once (loading trust roots is slow); nil when
    /// no route needs one.
    let upstreamTLS: NIOSSLContext?

    init(configuration: GatewayConfiguration, registry: ConnectionRegistry, budget: BufferBudget, room: RoomHub, observer: ConnectionObserver?,
         logger: Logger, upstreamTLS: NIOSSLContext? = nil) {
        self.configuration = configuration
        self.registry = registry
        self.budget = budget
        self.room = room
        self.observer = observer
        self.logger = logger
        bridgeCounters = BridgeCounters(paths: configuration.bridges.keys)
        bridgedPaths = Set(configuration.bridges.keys)
        upstreamHealth = UpstreamHealth(routes: configuration.bridges.values)
        self.upstreamTLS = upstreamTLS
    }

    /// The context `wss://` routes connect with (the system's trust roots, or `upstreamCAFile`'s).
    static func makeUpstreamTLS(_ configuration: GatewayConfiguration) throws(GatewayStartError) -> NIOSSLContext? {
        guard configuration.bridges.values.contains(where: { $0.targets.contains { $0.secure } }) else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.upstreamCAFile { tls.trustRoots = .file(file) }
        do { return try NIOSSLContext(configuration: tls) } catch { throw .tls("upstream CA \(configuration.upstreamCAFile ?? "(system)"): \(error)") }    }

    /// `/metrics`: connections, and the cluster link's figures when there is one.
    func metricsExposition() -> String {
        "# HELP passerelle_connections open TCP connections\n# TYPE passerelle_connections gauge\npasserelle_connections \(registry.count)\n"
            + "# HELP passerelle_room_members members of this instance's room\n# TYPE passerelle_room_members gauge\npasserelle_room_members \(room.currentMemberCount)\n"
            + (room.cluster?.metrics.exposition() ?? "") + bridgeCounters.exposition() + upstreamHealth.exposition()
    }
}
