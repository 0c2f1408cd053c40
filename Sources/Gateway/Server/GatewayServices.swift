import NIOCore

/// What every connection of one server shares.
struct GatewayServices: Sendable {
    let registry: ConnectionRegistry
    let budget: BufferBudget
    let room: RoomHub
    let observer: ConnectionObserver?
}
