import NIOCore
import WebSocketCore

extension WebSocketChannelHandler {
    /// The core's keepalive rule (`KeepalivePolicy`: pings for RFC 6455 members, an idle timeout
    /// for every framing), asked every half of its shortest delay.
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
        guard session.state == .open else { return }
        let (silent, releaseMemory) = quiet.tick(at: .now(), written: transport.bytesWritten)
        if releaseMemory {
            // Hold no send buffer, no emptied read buffer, no zlib stream that would be reset
            // before its next message anyway.
            transport.releaseIdleStorage()
            let freedStreams = session.releaseIdleMemory()
            if freedStreams > 0 { services.releasedZlibStreams.add(freedStreams, ordering: .relaxed) }
        }
        switch session.keepalive(silentFor: silent, policy: configuration.keepalive) {
        case .none:
            break
        case .ping(let bytes):
            transport.write(bytes)
        case .close(let output):
            log.idleTimeout(silentSeconds: silent)
            closingHandshakeStarted(output, code: .goingAway)
            bridge?.clientIdleClosed()
        }
    }
}
