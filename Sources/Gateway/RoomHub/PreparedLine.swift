import NIOCore
import WebSocketCore

/// One room line on its way to the members of one event loop: encoded at most once per
/// `SharedEncoding` (plain RFC 6455 frame, hixie frame, or one deflate stream per parameter set)
/// and handed to each of them as the same `ByteBuffer` — no per-member framing, compression or copy.
/// Lives on one event loop only (created and used inside one task on it).
final class PreparedLine {
    let text: String
    /// A few entries at most (one per framing and deflate parameter set present on the loop): a
    /// scan of equal-compared keys is cheaper than hashing one per member, as a dictionary did.
    private var encoded: [(encoding: SharedEncoding, bytes: ByteBuffer)] = []

    init(text: String) {
        self.text = text
    }

    /// The frame for connections whose `sharedEncoding` is `encoding`; nil if the framing
    /// cannot carry it.
    func bytes(for encoding: SharedEncoding, allocator: ByteBufferAllocator) -> ByteBuffer? {
        for entry in encoded where entry.encoding == encoding { return entry.bytes }
        var sink = ByteBufferFrameSink(allocator: allocator)
        guard (try? LoopEncoder.current.shared.encode(.text(text), as: encoding, into: &sink)) != nil,
              let buffer = sink.buffer else { return nil }
        encoded.append((encoding, buffer))
        return buffer
    }
}
