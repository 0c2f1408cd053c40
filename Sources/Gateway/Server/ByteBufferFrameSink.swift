import NIOCore
import WebSocketCore

/// The core's encoders write frames straight into the `ByteBuffer` that goes to the socket,
/// allocated at the size they announce: no array built and then copied per message (issue 6).
/// Frames written one after another share the buffer (the echoes of one read go out as one write).
struct ByteBufferFrameSink: FrameSink {
    private let allocator: ByteBufferAllocator
    private(set) var buffer: ByteBuffer?

    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
    }

    mutating func reserveFrameCapacity(_ count: Int) {
        guard var written = buffer else {
            buffer = allocator.buffer(capacity: count)
            return
        }
        // Several frames in one buffer (the echoes of one read): grow geometrically.
        guard written.writableBytes < count else { return }
        buffer = nil   // unique while it grows: no copy-on-write
        written.reserveCapacity(max(written.writerIndex + count, written.capacity * 2))
        buffer = written
    }

    mutating func writeFrameBytes(_ bytes: UnsafeRawBufferPointer) {
        if buffer == nil { buffer = allocator.buffer(capacity: bytes.count) }
        buffer!.writeBytes(bytes)
    }
}
