import Logging
import NIOCore
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

    init(configuration: GatewayConfiguration, registry: ConnectionRegistry, budget: BufferBudget, room: RoomHub, observer: ConnectionObserver?,
         logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.budget = budget
        self.room = room
        self.observer = observer
        self.logger = logger
    }

    /// `/metrics`: connections, and the cluster link's figures when there is one.
    func metricsExposition() -> String {
        "# HELP passerelle_connections open TCP connections\n# TYPE passerelle_connections gauge\npasserelle_connections \(registry.count)\n"
            + "# HELP passerelle_room_members members of this instance's room\n# TYPE passerelle_room_members gauge\npasserelle_room_members \(room.currentMemberCount)\n"
            + (room.cluster?.metrics.exposition() ?? "")
    }
}
