import Bridge
import NIOCore
import WebSocketCore

/// The client's side of a bridged path: the pair (`BridgedPair`) decides, this connection answers
/// the handshake, frames, closes and pauses its own socket.
extension WebSocketChannelHandler: BridgeClientLeg {
    func startBridge(_ accepted: AcceptedHandshake, route: BridgeRoute) {
        guard let context else { return }
        // Nothing more is read while the backend decides: what came with the request waits in
        // the session, and a client cannot fill memory meanwhile.
        setReading(false)
        let pair = BridgedPair(route: route, request: accepted, client: self, services: services, connectionID: id,
                               clientAddress: peerAddress?.ipAddress ?? "unknown", recorder: transport.recorder)
        bridge = pair
        pair.start(on: context.eventLoop)
    }

    func backendAccepted(_ answer: AcceptedClientHandshake, target: RouteTarget) {
        guard let (request, opened) = connection.backendAccepted(subprotocol: answer.subprotocol) else { return }
        log.bridgeOpened(connection.statistics, route: bridge?.route.path ?? "-", upstream: target, backend: answer.version)
        startKeepalive(version: request.version)
        handle(opened)
    }

    func backendFailed(_ failure: UpstreamFailure, target: RouteTarget) {
        log.upstreamFailed(failure, route: bridge?.route.path ?? "-", upstream: target)
        let answer = connection.backendFailed(failure)
        setReading(true)   // to see the client's FIN after ours
        writeAndClose(answer)
    }

    func send(_ message: Message) {
        transport.write(connection.encode(message, log: log))
    }

    func setReading(_ reading: Bool) {
        transport.setReading(reading)
    }
}
