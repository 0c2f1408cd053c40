import NIOCore
import WebSocketCore

extension WebSocketChannelHandler {
    /// The keepalive tick, every half of the policy's shortest delay for this framing.
    func startKeepalive(version: ProtocolVersion) {
        guard let context, let period = configuration.keepalive.tickInterval(for: version.framing) else { return }
        // The action captures the transport alone, which serves as its context: capturing the
        // delays too would allocate a context per connection, held for its whole life.
        let transport = self.transport
        LoopTimers.current(on: context.eventLoop).every(.seconds(period)) {
            guard let handler = transport.handler, !handler.finished else { return .stop }
            handler.keepaliveTick()
            return .again
        }
    }

    func keepaliveTick() {
        let step = connection.keepaliveTick(at: .now(), written: transport.bytesWritten, policy: configuration.keepalive,
                                            closeTimeout: configuration.closeTimeoutSeconds, log: log)
        if step.releaseStorage { transport.releaseIdleStorage() }
        if step.releasedZlibStreams > 0 { services.releasedZlibStreams.add(step.releasedZlibStreams, ordering: .relaxed) }
        perform(step.action)
        if step.closedIdle { bridge?.clientIdleClosed() }
    }
}
