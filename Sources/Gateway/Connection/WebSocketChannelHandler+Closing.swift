import NIOCore
import WebSocketCore

/// Ending a connection: the closing handshake on this side's initiative, the last bytes before
/// TCP is closed (in stages, by the transport), and the report every connection ends with.
extension WebSocketChannelHandler {
    /// Closes with the error's close code (room backlog full: 1013), through the closing handshake.
    func fail(_ error: GatewayError) {
        guard session.state == .open else { return }
        statistics.refusal = error
        closeSession(code: error.closeCode ?? .policyViolation, reason: error.reason)
    }

    /// Closes the socket now, whatever the connection's state (the end of a shutdown's grace period).
    func closeTransport() {
        transport.close()
    }

    /// Starts the closing handshake on this endpoint's initiative (shutdown, idle): close frame or
    /// 0xFF 0x00, then TCP is dropped when the peer answers or `closeTimeoutSeconds` pass.
    func closeSession(code: CloseCode, reason: String) {
        if let bridge, bridge.closeBoth(code: code, reason: reason) { return }
        closeClientLeg(code: code, reason: reason)
    }

    /// `closeSession` for this connection alone (`code: nil`: a close frame without a status code).
    func closeClientLeg(code: CloseCode?, reason: String) {
        log.closing(code: code, reason: reason)
        if session.isHandshaking {
            transport.close()
            return
        }
        // `.peerClosed`: a bridged client's close, answered now that the backend is done.
        guard session.state == .open || session.state == .peerClosed else { return }
        let output = (try? session.close(code: code, reason: reason)) ?? SessionOutput(connection: ConnectionOutput(closeTransport: true))
        closingHandshakeStarted(output, code: code ?? .noStatusReceived)
    }

    /// Our close is written; TCP is dropped when the peer answers or `closeTimeoutSeconds` pass.
    func closingHandshakeStarted(_ output: SessionOutput, code: CloseCode) {
        sendsMessages = false
        statistics.closeCode = code
        if output.closeTransport {
            writeAndClose(output.outbound)
            return
        }
        transport.write(output.outbound)
        transport.close(after: configuration.closeTimeoutSeconds)
    }

    /// The connection's last bytes (an HTTP answer, a close frame), then TCP closed in stages.
    func writeAndClose(_ bytes: [UInt8]) {
        sendsMessages = false
        transport.writeAndClose(bytes)
        finish()
    }

    func finish() {
        guard !finished else { return }
        finished = true
        // A bridged pair's upstream leg may still be closing: it closes the recording when it ends.
        let recordingOutlives = bridge?.handOverRecording() ?? false
        bridge?.clientEnded()
        transport.drop()
        transport.releaseIdleStorage()
        services.registry.remove(id)
        if !recordingOutlives { transport.recorder?.close() }
        transport.recorder = nil
        if joinedRoom { services.room.leave(id) }
        statistics.bytesOut = transport.bytesWritten
        let log = self.log
        log.closed(statistics)
        statistics.peer = log.peer
        services.observer?(statistics)
    }
}
