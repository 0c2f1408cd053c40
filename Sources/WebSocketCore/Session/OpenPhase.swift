/// The open phase both sessions share: a connection of either framing, from the bytes that
/// followed the handshake to its closed state, and the end of the transport. Opaque to shells:
/// they reach it through `WebSocketSession`'s operations, written once for both sides.
public struct OpenPhase {
    private(set) var connection: (any WebSocketConnection)?
    /// The transport ended (`receiveEOF`): nothing more is read or sent.
    private var transportEnded = false

    init(_ connection: (any WebSocketConnection)? = nil) {
        self.connection = connection
    }

    var state: ConnectionState { transportEnded ? .closed : connection?.state ?? .closed }

    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> ConnectionOutput {
        guard !transportEnded, connection != nil else { return ConnectionOutput() }
        return connection!.receive(bytes)
    }

    mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                          deliver: (LentDelivery) -> Void) -> ConnectionOutput {
        guard !transportEnded, connection != nil else { return ConnectionOutput() }
        return connection!.receive(bytes, scratch: &scratch, deliver: deliver)
    }

    /// The peer's FIN (or a reset): a connection still open or closing ends abnormally (RFC 6455
    /// §7.1.5: 1006; hixie-76 without 0xFF 0x00 likewise), except hixie-75, which closes so.
    mutating func receiveEOF() -> ConnectionOutput {
        defer { transportEnded = true }
        guard !transportEnded, let connection, connection.state != .closed else { return ConnectionOutput() }
        var output = ConnectionOutput()
        output.append(.transportEnded(connection.version == .hixie75 ? .normalClosure : .abnormalClosure))
        output.closeTransport = true
        return output
    }

    mutating func send(_ message: Message, fragmentSize: Int? = nil) throws(WebSocketError) -> [UInt8] {
        guard !transportEnded, connection != nil else { throw .connectionNotOpen }
        return try connection!.send(message, fragmentSize: fragmentSize)
    }

    mutating func ping(_ payload: [UInt8]) throws(WebSocketError) -> [UInt8] {
        guard !transportEnded, connection != nil else { throw .connectionNotOpen }
        return try connection!.ping(payload)
    }

    mutating func close(code: CloseCode?, reason: String) throws(WebSocketError) -> ConnectionOutput {
        guard !transportEnded, connection != nil else { throw .connectionNotOpen }
        return try connection!.close(code: code, reason: reason)
    }

    mutating func fail(_ error: WebSocketError) -> ConnectionOutput {
        guard !transportEnded, connection != nil else { return ConnectionOutput() }
        return connection!.fail(error)
    }

    /// `KeepalivePolicy`: ping a quiet RFC 6455 peer, close any peer quiet for too long.
    mutating func keepalive(silentFor seconds: Double, policy: KeepalivePolicy) -> KeepaliveAction {
        guard state == .open, let version = connection?.version else { return .none }
        let closeAfter = version.framing == .hixie ? policy.hixieCloseAfter : policy.closeAfter
        if closeAfter > 0 && seconds >= closeAfter {
            guard let output = try? close(code: .goingAway, reason: "idle timeout") else { return .none }
            return .close(SessionOutput(connection: output))
        }
        if version.framing == .rfc6455, policy.pingAfter > 0, seconds >= policy.pingAfter,
           let bytes = try? ping(Array("keepalive".utf8)) {
            return .ping(bytes)
        }
        return .none
    }

    @discardableResult
    mutating func releaseIdleMemory() -> Int {
        guard connection != nil else { return 0 }
        return connection!.releaseIdleMemory()
    }
}
