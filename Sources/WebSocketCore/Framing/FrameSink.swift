/// Where an encoder writes a frame: an array here, the shell's own buffer type there (the gateway
/// writes frames straight into NIO's `ByteBuffer`), so a frame is built once, in the buffer that
/// goes to the socket, and the core still knows nothing of any I/O library.
public protocol FrameSink {
    /// `count` more bytes are about to be written: room for them at once, not piece by piece.
    mutating func reserveFrameCapacity(_ count: Int)
    mutating func writeFrameBytes(_ bytes: UnsafeRawBufferPointer)
}

// Inlinable, here and in the encoders that write into a sink: the gateway calls them from another
// module, where an unspecialised generic would go through witness tables for every few bytes.
extension FrameSink {
    @inlinable
    public mutating func writeFrameByte(_ byte: UInt8) {
        withUnsafeBytes(of: byte) { writeFrameBytes($0) }
    }

    /// A payload from any collection: read in place when contiguous (arrays, native strings' UTF-8).
    @inlinable
    public mutating func writeFramePayload(_ payload: some Collection<UInt8>) {
        if payload.withContiguousStorageIfAvailable({ writeFrameBytes(UnsafeRawBufferPointer($0)) }) == nil {
            Array(payload).withUnsafeBytes { writeFrameBytes($0) }
        }
    }
}

extension Array: FrameSink where Element == UInt8 {
    @inlinable
    public mutating func reserveFrameCapacity(_ count: Int) {
        reserveCapacity(self.count + count)
    }

    @inlinable
    public mutating func writeFrameBytes(_ bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }
}
