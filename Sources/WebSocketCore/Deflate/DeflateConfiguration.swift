/// How this endpoint negotiates and runs permessage-deflate.
public struct DeflateConfiguration: Hashable, Sendable {
    /// What to do when the peer asks this endpoint to compress with a 256-byte window (8 bits).
    ///
    /// zlib ≥ 1.2.9 refuses raw deflate with windowBits 8 (`deflateInit2` → Z_STREAM_ERROR), and
    /// silently compressing with 9 would emit back-references the peer cannot resolve.
    public enum WindowBits8Policy: String, Hashable, Sendable, Codable {
        /// Accept the offer, answer `…_max_window_bits=8`, and send every message uncompressed
        /// (RSV1 clear), which RFC 7692 §6 allows per message. Inbound messages are still inflated.
        case acceptUncompressed = "accept-uncompressed"
        /// Decline that offer and try the next one.
        case decline
    }

    /// Largest window this endpoint compresses with (9–15); 15 = 32 KiB of deflate window.
    /// Lower values trade ratio for memory (deflate ≈ 2^(bits+2) + 2^(memLevel+9) bytes).
    public var ownMaxWindowBits: Int
    /// Window the peer is asked to compress with when its offer allows it (8–15).
    public var peerMaxWindowBits: Int
    /// Reset the compressor after every message (frees no memory by itself, but makes each
    /// message independent).
    public var ownNoContextTakeover: Bool
    /// Ask the peer to reset its compressor after every message, so this endpoint's inflater
    /// holds no state between messages.
    public var requestPeerNoContextTakeover: Bool
    /// zlib memLevel, 1–9.
    public var memoryLevel: Int
    /// zlib compression level, 0–9 (-1 = zlib's default, 6).
    public var compressionLevel: Int
    /// Messages shorter than this are sent uncompressed (RSV1 clear): deflate adds ≥ 1 byte of
    /// overhead on tiny payloads.
    public var minimumCompressedSize: Int
    public var windowBits8Policy: WindowBits8Policy
    /// Inflate as a checker does: refuse a back-reference beyond the window the peer agreed to
    /// (RFC 7692 §7.1.2), which zlib checks only against what it has already handed out. Off in
    /// a server or gateway, which accept what they can read; on in the conformance runner.
    public var verifiesPeerWindow = false

    public init(ownMaxWindowBits: Int = 15, peerMaxWindowBits: Int = 15,
                ownNoContextTakeover: Bool = false, requestPeerNoContextTakeover: Bool = false,
                memoryLevel: Int = 8, compressionLevel: Int = -1, minimumCompressedSize: Int = 0,
                windowBits8Policy: WindowBits8Policy = .acceptUncompressed) {
        self.ownMaxWindowBits = min(max(ownMaxWindowBits, 9), 15)
        self.peerMaxWindowBits = min(max(peerMaxWindowBits, 8), 15)
        self.ownNoContextTakeover = ownNoContextTakeover
        self.requestPeerNoContextTakeover = requestPeerNoContextTakeover
        self.memoryLevel = min(max(memoryLevel, 1), 9)
        self.compressionLevel = min(max(compressionLevel, -1), 9)
        self.minimumCompressedSize = max(0, minimumCompressedSize)
        self.windowBits8Policy = windowBits8Policy
    }
}
