/// The running permessage-deflate state of one connection: a compressor for what this endpoint
/// sends and an inflater for what it receives, created on first use (a connection that never
/// sends a compressed message never pays for a deflate window). A class: a connection without
/// permessage-deflate holds a nil reference (8 bytes) instead of this state inline (≈ 150 bytes in
/// every idle connection); the zlib streams it owns were shared by reference already.
public final class DeflateContext {
    public let agreement: DeflateAgreement
    public let role: Role
    public let configuration: DeflateConfiguration
    /// False when the window-bits-8 policy made this endpoint send uncompressed.
    public let compressOutbound: Bool
    private var deflater: Deflater?
    private var inflater: Inflater?
    private var deflaterUnavailable = false

    public init(agreement: DeflateAgreement, role: Role, configuration: DeflateConfiguration = .init(),
                compressOutbound: Bool = true) {
        self.agreement = agreement
        self.role = role
        self.configuration = configuration
        self.compressOutbound = compressOutbound && agreement.outbound(for: role).windowBits >= 9
    }

    /// The payload to send and whether it is compressed (RSV1).
    public func encode(_ payload: [UInt8]) -> (bytes: [UInt8], compressed: Bool) {
        guard compressOutbound, !deflaterUnavailable, payload.count >= configuration.minimumCompressedSize else {
            return (payload, false)
        }
        if deflater == nil {
            let direction = agreement.outbound(for: role)
            deflater = try? Deflater(windowBits: direction.windowBits, memoryLevel: configuration.memoryLevel,
                                     compressionLevel: configuration.compressionLevel)
            if deflater == nil { deflaterUnavailable = true; return (payload, false) }
        }
        let compressed = deflater!.compress(payload)
        // RFC 7692 §7.1.1.1/§7.1.1.2: without context takeover each message starts afresh.
        if agreement.outbound(for: role).noContextTakeover { deflater!.reset() }
        return (compressed, true)
    }

    /// Inflates one payload chunk of a compressed message into `output`.
    public func inflate(_ chunk: some Collection<UInt8>, into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        if inflater == nil { try makeInflater() }
        try inflater!.inflate(chunk, into: &output, limit: limit)
    }

    /// Ends a compressed message (§7.2.2: append 00 00 ff ff) and resets when the sender does
    /// not keep its context.
    public func finishMessage(into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        if inflater == nil { try makeInflater() }
        try inflater!.finishMessage(into: &output, limit: limit)
        if agreement.inbound(for: role).noContextTakeover { inflater!.reset() }
    }

    /// Frees the zlib streams that forget everything after each message anyway — a direction
    /// without context takeover (RFC 7692 §7.1.1.1/§7.1.1.2) is reset after every message, so
    /// the next one makes a stream as it would have found it. A stream that keeps its context is
    /// kept: its window is part of what the peer's next message refers to. Only between messages
    /// (the caller checks): an inflater in the middle of a message holds that message's state.
    /// Returns how many streams it freed.
    @discardableResult
    public func releaseStreamsWithoutContext() -> Int {
        var freed = 0
        if agreement.outbound(for: role).noContextTakeover, deflater != nil { deflater = nil; freed += 1 }
        if agreement.inbound(for: role).noContextTakeover, inflater != nil { inflater = nil; freed += 1 }
        return freed
    }

    /// Which streams exist now (for tests and figures).
    var holdsDeflater: Bool { deflater != nil }
    var holdsInflater: Bool { inflater != nil }

    private func makeInflater() throws(WebSocketError) {
        do {
            inflater = try Inflater(windowBits: agreement.inbound(for: role).windowBits, verifiesWindow: configuration.verifiesPeerWindow)
        } catch {
            throw .inflateFailed("cannot initialise zlib")
        }
    }
}
