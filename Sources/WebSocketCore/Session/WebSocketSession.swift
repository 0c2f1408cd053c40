/// What a shell does with either side's session once it is past the handshake: bytes and the
/// end of the transport in, messages, pings and closes out. `ServerSession` and `ClientSession`
/// conform, so a shell written for both (the conformance runner, a relay) needs no downcast.
public protocol WebSocketSession {
    var state: ConnectionState { get }
    var version: ProtocolVersion? { get }
    var isHandshaking: Bool { get }
    /// Bytes the peer sent after its close (RFC 6455 §5.5.1, hixie-76 §5.3), unread.
    var bytesAfterClose: Int { get }

    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> SessionOutput
    mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                          deliver: (LentDelivery) -> Void) -> SessionOutput
    mutating func receiveEOF() -> SessionOutput
    mutating func send(_ message: Message, fragmentSize: Int?) throws(WebSocketError) -> [UInt8]
    mutating func ping(_ payload: [UInt8]) throws(WebSocketError) -> [UInt8]
    mutating func close(code: CloseCode, reason: String) throws(WebSocketError) -> SessionOutput
    mutating func fail(_ error: WebSocketError) -> SessionOutput
    mutating func keepalive(silentFor seconds: Double, policy: KeepalivePolicy) -> KeepaliveAction
    @discardableResult mutating func releaseIdleMemory() -> Int
}

extension WebSocketSession {
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
