import Bridge
import NIOCore
import WebSocketCore

/// The client's side of a bridged path: the pair (`BridgedPair`) decides, this connection answers
/// the handshake, frames, closes and pauses its own socket.
extension WebSocketChannelHandler: BridgeClientLeg {
    func startBridge(_ accepted: AcceptedHandshake, route: BridgeRoute) {
        guard let context else { return }
        endpoint = .bridge
        statistics.version = accepted.version
        // Nothing more is read while the backend decides: what came with the request waits in
        // the session, and a client cannot fill memory meanwhile.
        setReading(false)
        let pair = BridgedPair(route: route, request: accepted, client: self, services: services, connectionID: id,
                               clientAddress: peerAddress?.ipAddress ?? "unknown", recorder: transport.recorder)
        bridge = pair
        pair.start(on: context.eventLoop)
    }

    func backendAccepted(_ answer: AcceptedClientHandshake, target: RouteTarget) {
        // The client gets the backend's subprotocol, whatever this server would have chosen.
        guard let request = session.pendingRequest else { return }
        statistics.opened(request, subprotocol: answer.subprotocol)
        let opened = session.accept(answeringSubprotocol: answer.subprotocol, deferringCloseReply: true)
        log.bridgeOpened(statistics, route: bridge?.route.path ?? "-", upstream: target, backend: answer.version)
        startKeepalive(version: request.version)
        handle(opened)
    }

    func backendFailed(_ failure: UpstreamFailure, target: RouteTarget) {
        let refusal = GatewayError.upstreamFailed(failure)
        statistics.refusal = refusal
        log.upstreamFailed(failure, route: bridge?.route.path ?? "-", upstream: target)
        setReading(true)   // to see the client's FIN after ours
        if statistics.version?.framing == .rfc6455 {
            writeAndClose(session.reject(status: failure.downstreamStatus, body: failure.reason + "\n").outbound)
        } else {
            // A hixie client sees only that the connection failed: there is no status to give it.
            writeAndClose([])
        }
    }

    func send(_ message: Message) {
        transport.write(encode(message))
    }

    func close(code: CloseCode?, reason: String) {
        closeClientLeg(code: code, reason: reason)
    }

    func setReading(_ reading: Bool) {
        transport.setReading(reading)
    }
}
