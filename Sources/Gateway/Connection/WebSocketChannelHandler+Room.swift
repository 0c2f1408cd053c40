import NIOCore
import Room
import WebSocketCore

/// Room membership: joining, and the room's lines delivered under the member's limits.
extension WebSocketChannelHandler {
    func joinRoom(dialect: ChatDialect, version: ProtocolVersion) {
        guard let loop = context?.eventLoop else { return }
        let handler = NIOLoopBound(self, eventLoop: loop)
        joinedRoom = true
        services.room.join(RoomMember(id: id, eventLoop: loop, deliver: { line in handler.value.deliver(line) },
                                      close: { error in loop.execute { handler.value.fail(error) } }),
                           dialect: dialect, version: version)
    }

    func deliver(_ line: PreparedLine) {
        guard connection.sendsMessages, context != nil else { return }
        transport.refreshIfHolding()   // stale since the last flush
        perform(connection.deliver(line, queued: transport.queuedBytes, perMember: configuration.maxQueuedBytesPerMember,
                                   budget: services.budget, connections: self.services.registry.count, log: log))
    }
}
