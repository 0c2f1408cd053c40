import NIOCore
import WebSocketCore

/// The core's encoders write frames straight into the `ByteBuffer` that goes to the socket,
/// allocated at the size they announce: no array built and then copied per message.
/// Frames written one after another share the buffer (the echoes of one read go out as one write).
struct ByteBufferFrameSink: FrameSink {
    private let allocator: ByteBufferAllocator
    private(set) var buffer: ByteBuffer?
    /// The connection's last send buffer, reused for the first frame.
    private var spare: SpareSendBuffer

    /// `spare` should be held by the sink alone (the caller releases its copy), so that clearing
    /// it can keep its storage.
    init(allocator: ByteBufferAllocator, spare: SpareSendBuffer = SpareSendBuffer()) {
        self.allocator = allocator
        self.spare = spare
    }

    /// What the connection keeps for its next pass: the buffer the frames went into, or the
    /// spare if no frame was written.
    var spareAfterwards: SpareSendBuffer {
        var kept = spare
        if let buffer { kept.keep(buffer) }
        return kept
    }

    mutating func reserveFrameCapacity(_ count: Int) {
        guard var written = buffer else {
            buffer = spare.empty(capacity: count, allocator: allocator)
            return
        }
        // Several frames in one buffer (the echoes of one read): grow geometrically.
        guard written.writableBytes < count else { return }
        buffer = nil   // unique while it grows: no copy-on-write
        written.reserveCapacity(max(written.writerIndex + count, written.capacity * 2))
        buffer = written
    }

    mutating func writeFrameBytes(_ bytes: UnsafeRawBufferPointer) {
        if buffer == nil { buffer = spare.empty(capacity: bytes.count, allocator: allocator) }
        buffer!.writeBytes(bytes)
    }
}
