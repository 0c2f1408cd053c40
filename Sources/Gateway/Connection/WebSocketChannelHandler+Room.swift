import NIOCore
import Room
import WebSocketCore

/// Room membership: joining, lines delivered under the member's limits, a slow consumer closed.
extension WebSocketChannelHandler {
    func joinRoom(dialect: ChatDialect, version: ProtocolVersion) {
        let handler = NIOLoopBound(self, eventLoop: context!.eventLoop)
        joinedRoom = true
        let loop = context!.eventLoop
        services.room.join(RoomMember(id: id, eventLoop: loop, deliver: { line in handler.value.deliver(line) },
                                      close: { error in loop.execute { handler.value.fail(error) } }),
                           dialect: dialect, version: version)
    }

    /// A line from the room. Bounded: a member whose socket does not take its bytes is closed
    /// once `maxQueuedBytesPerMember` are waiting, so it can neither grow memory nor slow others.
    func deliver(_ line: PreparedLine) {
        // Two stored flags, not the connection: projecting it out of `state` copied it per member.
        guard sendsMessages, context != nil else { return }
        transport.refreshIfHolding()   // stale since the last flush
        let buffer: ByteBuffer
        if let sharedEncoding {
            // The same bytes as every member of this loop with this encoding: framed (and
            // compressed) once for all of them.
            guard let shared = line.bytes(for: sharedEncoding, allocator: ConnectionTransport.allocator) else { return }
            statistics.messagesOut += 1
            buffer = shared
        } else {
            let bytes = encode(.text(line.text))
            guard !bytes.isEmpty else { return }
            buffer = ConnectionTransport.allocator.buffer(bytes: bytes)
        }
        switch DeliveryLimit.check(queued: transport.queuedBytes, adding: buffer.readableBytes, perMember: configuration.maxQueuedBytesPerMember,
                                   budget: services.budget, connections: services.registry.count) {
        case .within: transport.write(buffer)
        case .exceeded(let limit): slowConsumer(limit: limit)
        }
    }

    func slowConsumer(limit: Int) {
        let refusal = GatewayError.slowConsumer(queuedBytes: transport.queuedBytes, limit: limit)
        log.slowConsumer(queuedBytes: transport.queuedBytes, limit: limit)
        statistics.refusal = refusal
        statistics.closeCode = .policyViolation
        guard session.state == .open else { return }
        sendsMessages = false
        // Its socket is not reading: the close frame goes if it fits, without waiting for it.
        transport.abandon(sending: session.fail(refusal.asLocalLimit).outbound)
    }
}
