import NIOCore

/// What every connection of one server shares.
struct GatewayServices: Sendable {
    let registry: ConnectionRegistry
    let budget: BufferBudget
    let room: RoomHub
    let observer: ConnectionObserver?

    /// `/metrics`: connections, and the cluster link's figures when there is one.
    func metricsExposition() -> String {
        "# HELP passerelle_connections open TCP connections\n# TYPE passerelle_connections gauge\npasserelle_connections \(registry.count)\n"
            + "# HELP passerelle_room_members members of this instance's room\n# TYPE passerelle_room_members gauge\npasserelle_room_members \(room.currentMemberCount)\n"
            + (room.cluster?.metrics.exposition() ?? "")
    }
}
