import NIOCore
import WebSocketCore

/// Ending a connection: the closing handshake on this side's initiative, the last bytes before
/// TCP is closed (in stages, by the transport), and the report every connection ends with.
extension WebSocketChannelHandler {
    /// Closes an open connection with the error's close code (room backlog full: 1013).
    func fail(_ error: GatewayError) {
        guard connection.failing(error) else { return }
        closeSession(code: error.closeCode ?? .policyViolation, reason: error.reason)
    }

    /// Starts the closing handshake on this side's initiative (shutdown, idle), on both legs of a
    /// bridged path.
    func closeSession(code: CloseCode, reason: String) {
        if let bridge, bridge.closeBoth(code: code, reason: reason) { return }
        close(code: code, reason: reason)
    }

    /// `closeSession` for this connection alone (`code: nil`: a close frame without a status code);
    /// also how a bridged pair closes its client's leg.
    func close(code: CloseCode?, reason: String) {
        perform(connection.close(code: code, reason: reason, closeTimeout: configuration.closeTimeoutSeconds, log: log))
    }

    /// The connection's last bytes (an HTTP answer, a close frame), then TCP closed in stages.
    func writeAndClose(_ bytes: [UInt8]) {
        connection.ending()
        transport.writeAndClose(bytes)
        finish()
    }

    func finish() {
        guard !finished else { return }
        finished = true
        // A bridged pair's upstream leg may still be closing: it closes the recording when it ends.
        let recordingOutlives = bridge?.clientEnded() ?? false
        transport.connectionEnded(closingRecording: !recordingOutlives)
        services.registry.remove(id)
        if joinedRoom { services.room.leave(id) }
        let report = connection.ended(bytesWritten: transport.bytesWritten, log: log)
        services.observer?(report)
    }
}
