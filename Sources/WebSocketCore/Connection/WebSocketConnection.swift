/// An open WebSocket connection as a value: bytes from the peer go in, events and bytes for the
/// peer come out. No sockets, no clocks: the shell moves bytes and runs timers.
///
/// Two framings implement it: `RFC6455Connection` (hybi-07/08, RFC 6455) and `HixieConnection`
/// (hixie-75/76).
public protocol WebSocketConnection {
    var version: ProtocolVersion { get }
    var role: Role { get }
    var state: ConnectionState { get }
    /// Bytes the peer sent after its close, which nothing may follow (RFC 6455 §5.5.1, hixie-76
    /// §5.3): not read, counted for whoever judges the peer.
    var bytesAfterClose: Int { get }
    /// When set, the peer's close is not answered at once: the connection goes to `.peerClosed`
    /// and the shell's `close` sends the answer (RFC 6455 §5.5.1 / hixie-76 §5.3 still hold: the
    /// answer comes, and nothing is read after the peer's close).
    var defersCloseReply: Bool { get set }

    /// Feeds bytes read from the transport (copied before it returns). Not generic: a shell holds
    /// its connection as `any WebSocketConnection`, and a generic requirement then ran unspecialised
    /// through type metadata on every read; a shell passes its read buffer in place.
    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> ConnectionOutput

    /// The same, but each message is lent to `deliver` as it completes instead of being copied
    /// into the output's events: a whole frame in the buffer is lent where it lies (unmasked in
    /// place), a compressed one from `scratch` it was inflated into (one per thread, shared by the
    /// shell's connections), so a shell that only forwards it copies and allocates nothing per
    /// message. The core's answers (pongs, close frames) go to `deliver` too, between the
    /// messages where the peer's bytes caused them, so the output's `outbound` is empty. Views
    /// are valid only during the call; `deliver` must not call into this connection (it is being
    /// mutated). The output holds every other event.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                          deliver: (LentDelivery) -> Void) -> ConnectionOutput

    /// The bytes of one message. Throws when the connection is not open or the framing cannot
    /// carry the message (binary over hixie) — except right after a read that closed an open
    /// connection: until the next call into it, the answers to that read's messages are still
    /// framed, for the shell to place before the core's close answer (`forEachInOrder`).
    mutating func send(_ message: Message) throws(WebSocketError) -> [UInt8]

    /// The same, split into frames of at most `fragmentSize` payload bytes where the framing can
    /// (RFC 6455 §5.4); hixie frames a message whole.
    mutating func send(_ message: Message, fragmentSize: Int?) throws(WebSocketError) -> [UInt8]

    /// A ping (RFC 6455 §5.5.2, at most 125 bytes); hixie has none (`pingNotSupportedByFraming`).
    mutating func ping(_ payload: [UInt8]) throws(WebSocketError) -> [UInt8]

    /// Starts the closing handshake (RFC 6455 §7.1.2 / hixie-76 §5.3).
    mutating func close(code: CloseCode?, reason: String) throws(WebSocketError) -> ConnectionOutput

    /// Fails the connection on this endpoint's initiative (e.g. a local limit, a timeout).
    mutating func fail(_ error: WebSocketError) -> ConnectionOutput

    /// The connection has gone quiet (the shell decides when: the core has no clock): frees what
    /// the next message can rebuild with no difference on the wire — the storage of an emptied
    /// read buffer, and zlib streams without context takeover between messages. An idle
    /// connection then holds only its state machine. Returns how many zlib streams it freed (tens
    /// of KB each: worth giving back to the system when many are).
    @discardableResult
    mutating func releaseIdleMemory() -> Int

    /// When what this connection sends does not depend on its own state: the key under which the
    /// bytes of a message can be encoded once and shared (`SharedEncoder`); nil otherwise (a
    /// client masks, a compressor that keeps its context has history). Shared bytes may be sent
    /// only while `state == .open`, as `send` checks; the shell keeps that check.
    var sharedEncoding: SharedEncoding? { get }
}

extension WebSocketConnection {
    /// Feeds bytes from any collection; arrays and slices are read in place.
    public mutating func receive(_ bytes: some Collection<UInt8>) -> ConnectionOutput {
        if let output = bytes.withContiguousStorageIfAvailable({ receive(UnsafeRawBufferPointer($0)) }) { return output }
        return Array(bytes).withUnsafeBytes { receive($0) }
    }
}
