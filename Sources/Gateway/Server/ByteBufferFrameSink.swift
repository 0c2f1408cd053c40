import NIOCore
import WebSocketCore

/// The core's encoders write frames straight into the `ByteBuffer` that goes to the socket,
/// allocated at the size they announce: no array built and then copied per message (issue 6).
/// Frames written one after another share the buffer (the echoes of one read go out as one write).
struct ByteBufferFrameSink: FrameSink {
    private let allocator: ByteBufferAllocator
    private(set) var buffer: ByteBuffer?
    /// The connection's last send buffer (`SpareSendBuffer`), used instead of a fresh one for the
    /// first frame; still here afterwards if no frame was written.
    private(set) var spare: ByteBuffer?

    init(allocator: ByteBufferAllocator, spare: ByteBuffer? = nil) {
        self.allocator = allocator
        self.spare = spare
    }

    mutating func reserveFrameCapacity(_ count: Int) {
        guard var written = buffer else {
            buffer = firstBuffer(capacity: count)
            return
        }
        // Several frames in one buffer (the echoes of one read): grow geometrically.
        guard written.writableBytes < count else { return }
        buffer = nil   // unique while it grows: no copy-on-write
        written.reserveCapacity(max(written.writerIndex + count, written.capacity * 2))
        buffer = written
    }

    mutating func writeFrameBytes(_ bytes: UnsafeRawBufferPointer) {
        if buffer == nil { buffer = firstBuffer(capacity: bytes.count) }
        buffer!.writeBytes(bytes)
    }

    private mutating func firstBuffer(capacity: Int) -> ByteBuffer {
        guard var reused = spare else { return allocator.buffer(capacity: capacity) }
        spare = nil   // ours alone, so that clearing it keeps its storage
        reused.clear(minimumCapacity: capacity)
        return reused
    }
}
