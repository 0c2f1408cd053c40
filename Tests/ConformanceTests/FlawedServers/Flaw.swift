/// One deliberate bug in an otherwise correct echo server: the kind of mistake real
/// implementations make, which the conformance suite must catch (and only with the cases meant
/// for it — the same server passes every other case).
enum Flaw: String, CaseIterable, Sendable {
    /// RFC 6455 §5.1: a server MUST close on an unmasked client frame; this one takes it.
    case acceptsUnmaskedFrames
    /// RFC 6455 §8.1: text must be valid UTF-8; this one echoes whatever bytes arrive.
    case skipsUTF8Validation
    /// RFC 6455 §4.2.2 item 5.4: Sec-WebSocket-Accept is SHA-1(key + GUID); this one answers another key's.
    case wrongAcceptKey
    /// RFC 7692 §7.1.1.1: having answered `server_no_context_takeover`, a server MUST reset its
    /// compressor between messages; this one keeps its context anyway.
    case ignoresServerNoContextTakeover
    /// RFC 7692 §7.1.1.2 lets a server ignore a client's `client_no_context_takeover` hint, but
    /// not the reverse: this one resets its decompressor between messages although no
    /// `client_no_context_takeover` was agreed, so a client that keeps its context is misread.
    case assumesClientNoContextTakeover
    /// hixie-76 §5.2: the 16 bytes after the head are MD5(key1 number, key2 number, key3); this one is off by a bit.
    case wrongHixieMD5
    /// RFC 6455 §7.4.1: 0–999, 1004–1006, 1015, 1016–2999 and ≥ 5000 are not valid on the wire; this
    /// one answers them with a normal close instead of failing with 1002.
    case acceptsInvalidCloseCodes
    /// RFC 6455 §5.4, §5.5.2: a ping between the fragments of a message is answered before that
    /// message; this one writes the echoes of a read before the pongs of the same read.
    case answersOutOfOrder
    /// draft-hixie-76 §5.3: a server that reads 0xFF 0x00 sends 0xFF 0x00 back; this one just
    /// closes TCP.
    case dropsHixieClosingHandshake
    /// hixie-76 §5.2 / hixie-75 §5.2: the Location is the URL the client asked for; this one
    /// names the host's root instead of the resource.
    case hixieLocationWithoutResource
    /// hixie-76 §5.2 / hixie-75 §5.2: the answer echoes the request's Origin; this one answers a
    /// fixed one.
    case hixieOriginNotEchoed
    /// RFC 6455 §5.5.1 (hixie-76 §5.3): nothing follows a close; this one sends a last text
    /// message behind its close frame (or 0xFF 0x00).
    case sendsAfterClose
    /// RFC 7692 §7.1.2.1: having answered `server_max_window_bits=N`, a server compresses within
    /// 2^N bytes of history; this one compresses with the full 32 KiB window anyway.
    case ignoresServerMaxWindowBits
    /// hixie-76 §5.3: a frame whose type has the high bit set carries a length and is read and
    /// discarded; this one drops the connection on it.
    case dropsOnHixieLengthFrame
}
