/// How a connection encodes an outgoing message when the bytes depend on nothing the connection
/// keeps — so one encoding serves every connection with the same key. A room serialises each line
/// once per key instead of once per member (and compresses it once for every deflate member that
/// negotiated no server context takeover).
public enum SharedEncoding: Hashable, Sendable {
    /// RFC 6455 (hybi-07/08 too) from a server, no compression: servers never mask (§5.1), so the
    /// frame is the same for everyone.
    case rfc6455
    /// RFC 6455 + permessage-deflate without server context takeover: each message is compressed
    /// from an empty window (RFC 7692 §7.1.1.1), so equal parameters give equal bytes.
    case rfc6455Deflate(SharedDeflateParameters)
    /// hixie-75/76: `0x00` UTF-8 `0xFF`.
    case hixie
}

/// What decides the bytes of a context-free permessage-deflate message.
public struct SharedDeflateParameters: Hashable, Sendable {
    public var windowBits: Int
    public var memoryLevel: Int
    public var compressionLevel: Int
    /// Messages shorter than this go uncompressed (RSV1 clear).
    public var minimumCompressedSize: Int
}

/// Encodes messages for a `SharedEncoding`, keeping one compressor per deflate parameter set
/// (reset after every message, as no context takeover requires). One per thread: not shareable.
public struct SharedEncoder {
    private var deflaters: [SharedDeflateParameters: Deflater] = [:]

    public init() {}

    /// The frame bytes of `message` for every connection whose `sharedEncoding` is `encoding`.
    /// Throws for a message the framing cannot carry (binary over hixie).
    public mutating func encode(_ message: Message, as encoding: SharedEncoding) throws(WebSocketError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(message, as: encoding, into: &bytes)
        return bytes
    }

    /// The same frame, written into `sink` (the gateway's send buffer): no intermediate array.
    /// Inlinable, to be specialised for the gateway's sink (see `FrameSink`).
    @inlinable
    public mutating func encode(_ message: Message, as encoding: SharedEncoding, into sink: inout some FrameSink) throws(WebSocketError) {
        // A text is framed from its own UTF-8, read in place (`message.bytes` would copy it).
        switch message {
        case .text(let text): try encode(opcode: .text, payload: text.utf8, as: encoding, into: &sink)
        case .binary(let bytes): try encode(opcode: .binary, payload: bytes, as: encoding, into: &sink)
        }
    }

    /// The frame of a received message lent in place (an echo): from its bytes where they lie.
    @inlinable
    public mutating func encode(_ message: MessageView, as encoding: SharedEncoding, into sink: inout some FrameSink) throws(WebSocketError) {
        try encode(opcode: message.opcode, payload: message.bytes.assumingMemoryBound(to: UInt8.self), as: encoding, into: &sink)
    }

    @inlinable
    mutating func encode(opcode: Opcode, payload: some Collection<UInt8>, as encoding: SharedEncoding,
                         into sink: inout some FrameSink) throws(WebSocketError) {
        switch encoding {
        case .hixie:
            guard opcode == .text else { throw .binaryNotSupportedByFraming }
            HixieFrameEncoder.write(utf8: payload, into: &sink)
        case .rfc6455:
            FrameEncoder.write(opcode: opcode, payload: payload, into: &sink)
        case .rfc6455Deflate(let parameters):
            writeDeflated(opcode: opcode, payload: payload, parameters, into: &sink)
        }
    }

    /// Compressed when at least `minimumCompressedSize` bytes (and a compressor could be made),
    /// else sent as it is: RSV1 marks each compressed message (RFC 7692 §6), so any may go without.
    @inlinable
    mutating func writeDeflated(opcode: Opcode, payload: some Collection<UInt8>, _ parameters: SharedDeflateParameters,
                                into sink: inout some FrameSink) {
        guard payload.count >= parameters.minimumCompressedSize, let deflater = deflater(parameters) else {
            FrameEncoder.write(opcode: opcode, payload: payload, into: &sink)
            return
        }
        // Compressed into the compressor's scratch and framed from there: no array per message.
        deflater.withCompressed(payload) { compressed in
            FrameEncoder.write(opcode: opcode, payload: compressed, rsv1: true, into: &sink)
        }
        deflater.reset()
    }

    @usableFromInline
    mutating func deflater(_ parameters: SharedDeflateParameters) -> Deflater? {
        if let deflater = deflaters[parameters] { return deflater }
        guard let created = try? Deflater(windowBits: parameters.windowBits, memoryLevel: parameters.memoryLevel,
                                          compressionLevel: parameters.compressionLevel) else { return nil }
        deflaters[parameters] = created
        return created
    }
}
