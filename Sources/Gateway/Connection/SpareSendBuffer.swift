import NIOCore

/// The buffer a connection last sent its frames in, kept for its next pass so that an echoed
/// message or a pass of room lines costs no allocation (none per message on the hot path).
/// NIO lets go of a buffer once its socket has taken it; from then on `clear(minimumCapacity:)`
/// reuses the storage. While NIO still holds it (the peer reads slowly), clearing gives fresh
/// storage — copy-on-write keeps the bytes in flight intact, so reuse can never corrupt a frame.
struct SpareSendBuffer {
    /// Larger buffers are not kept: a connection should not hold a big message's buffer while idle.
    static let largestKept = 4096
    private var buffer: ByteBuffer?

    /// An empty buffer of at least `capacity` bytes: the spare's storage when it is free. The
    /// spare is no longer held here (so that it is unique when cleared).
    mutating func empty(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var reused = buffer else { return allocator.buffer(capacity: capacity) }
        buffer = nil
        reused.clear(minimumCapacity: capacity)
        return reused
    }

    /// Keeps `sent` (a copy sharing its storage) for the next pass, if it is small enough.
    mutating func keep(_ sent: ByteBuffer) {
        buffer = sent.capacity <= Self.largestKept ? sent : nil
    }

    /// Frees it (the connection went quiet, or is gone).
    mutating func release() {
        buffer = nil
    }
}
