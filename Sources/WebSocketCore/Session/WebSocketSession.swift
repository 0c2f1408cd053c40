/// What a shell does with either side's session once it is past the handshake: bytes and the
/// end of the transport in, messages, pings and closes out. `ServerSession` and `ClientSession`
/// conform, so a shell written for both (the conformance runner, a relay) needs no downcast.
public protocol WebSocketSession {
    var isHandshaking: Bool { get }
    /// The open phase both sides share, opaque: the operations below are written once on it.
    var openPhase: OpenPhase { get set }

    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> SessionOutput
    mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                          deliver: (LentDelivery) -> Void) -> SessionOutput
    mutating func receiveEOF() -> SessionOutput
}

extension WebSocketSession {
    /// `.open` once the handshake succeeded until the closing handshake starts; `.closed` before.
    public var state: ConnectionState { openPhase.state }
    public var version: ProtocolVersion? { openPhase.connection?.version }
    /// Bytes the peer sent after its close (RFC 6455 §5.5.1, hixie-76 §5.3), unread.
    public var bytesAfterClose: Int { openPhase.connection?.bytesAfterClose ?? 0 }

    /// One message, split into frames of at most `fragmentSize` payload bytes where the framing
    /// can (RFC 6455 §5.4); masked and compressed as this side and the handshake require.
    public mutating func send(_ message: Message, fragmentSize: Int?) throws(WebSocketError) -> [UInt8] {
        try openPhase.send(message, fragmentSize: fragmentSize)
    }

    /// A ping (RFC 6455 §5.5.2); hixie has none (`pingNotSupportedByFraming`).
    public mutating func ping(_ payload: [UInt8] = []) throws(WebSocketError) -> [UInt8] {
        try openPhase.ping(payload)
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2, hixie-76 0xFF 0x00; hixie-75 closes TCP).
    /// `code: nil` sends a close frame without a body (RFC 6455 §5.5.1).
    public mutating func close(code: CloseCode? = .normalClosure, reason: String = "") throws(WebSocketError) -> SessionOutput {
        SessionOutput(connection: try openPhase.close(code: code, reason: reason))
    }

    /// Fails the connection on this side's initiative (a local limit): the close frame, then TCP.
    public mutating func fail(_ error: WebSocketError) -> SessionOutput {
        SessionOutput(connection: openPhase.fail(error))
    }

    /// `KeepalivePolicy`'s decision for a connection silent this long.
    public mutating func keepalive(silentFor seconds: Double, policy: KeepalivePolicy) -> KeepaliveAction {
        openPhase.keepalive(silentFor: seconds, policy: policy)
    }

    /// `WebSocketConnection.releaseIdleMemory` of the open connection.
    @discardableResult
    public mutating func releaseIdleMemory() -> Int {
        openPhase.releaseIdleMemory()
    }

    /// Feeds bytes from any collection; arrays and slices are read in place.
    public mutating func receive(_ bytes: some Collection<UInt8>) -> SessionOutput {
        if let output = bytes.withContiguousStorageIfAvailable({ receive(UnsafeRawBufferPointer($0)) }) { return output }
        return Array(bytes).withUnsafeBytes { receive($0) }
    }

    public mutating func send(_ message: Message) throws(WebSocketError) -> [UInt8] {
        try send(message, fragmentSize: nil)
    }
}

extension ServerSession: WebSocketSession {}
extension ClientSession: WebSocketSession {}
