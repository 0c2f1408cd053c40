import CZlib

/// Inflates permessage-deflate messages (RFC 7692 §7.2.2), fed frame payloads as they arrive.
///
/// The size limit is enforced on inflated bytes as they are produced: output space is never more
/// than the remaining budget plus one byte, so a decompression bomb stops after `limit + 1`
/// bytes, whatever its compressed size (checking per frame or on compressed size is the classic bomb).
public final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    public let windowBits: Int
    /// Output per call into zlib when the window is verified (`verifiesWindow`), else unbounded.
    private let outputSlice: Int

    /// zlib resolves a back-reference from what it wrote in the current call, then from its
    /// window (the last 2^windowBits bytes): with at most this much output per call, a distance
    /// beyond the window + 64 bytes finds nothing and fails ("invalid distance too far back").
    static let verifyingSlice = 64

    public enum InitError: Error, Hashable { case zlib(code: Int32, windowBits: Int) }

    /// `windowBits` as negotiated; 8 is inflated with a 9-bit window, because peers whose zlib
    /// predates 1.2.9 were told "8" and silently compressed with 9, and a larger window inflates
    /// any stream made with a smaller one.
    /// `verifiesWindow`: refuse back-references beyond the window (up to 64 bytes of slack) — a
    /// checker's inflater, slower; otherwise anything zlib can resolve is accepted.
    public init(windowBits: Int, verifiesWindow: Bool = false) throws(InitError) {
        let bits = max(windowBits, 9)
        // See Deflater.init: no stored property is set until zlib has accepted the stream.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = passerelle_inflateInit2(stream, -Int32(bits))
        guard code == Z_OK else {
            stream.deallocate()
            throw .zlib(code: code, windowBits: bits)
        }
        self.stream = stream
        self.windowBits = bits
        outputSlice = verifiesWindow ? Self.verifyingSlice : Int.max
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates `input`, appending to `output`; throws once `output` would exceed `limit` bytes.
    ///
    /// A message's first output goes straight into its array, sized from the input: at most one
    /// allocation per message, no zero fill, no copy — none when `output` is an empty array with
    /// room enough (a thread's `InflateScratch`, where lent messages are inflated). Output beyond it goes
    /// through a scratch on the stack and is appended. The inflater itself holds no output buffer.
    public func inflate(_ input: some Collection<UInt8>, into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        if input.isEmpty { return }
        // Arrays and slices (every caller's) are read in place; anything else is copied once.
        let failure = input.withContiguousStorageIfAvailable { bytes in inflate(bytes, into: &output, limit: limit) }
            ?? Array(input).withUnsafeBufferPointer { bytes in inflate(bytes, into: &output, limit: limit) }
        if let failure { throw failure }
    }

    /// What one call into zlib leaves to do.
    private enum Next {
        case more          // its output space filled, or input is left (a stream ended mid-input): call again
        case done          // the input is consumed
        case failed(WebSocketError)
    }

    /// Text typically inflates 3–10×: the first output space is the input times this, so that a
    /// message usually fits in one allocation (more repetitive text takes one more, appended);
    /// bounded, so that a large frame does not reserve far more than it may need.
    private static let firstSpacePerInputByte = 16
    private static let largestFirstSpace = 256 * 1024
    /// …and at least this: a chat message of a few KB fits in one allocation however well it
    /// compressed (2 KB of the bench's JSON is 17× its compressed size and took a second one).
    /// The space is the message's own (or the thread's scratch): nothing is kept per connection.
    private static let smallestFirstSpace = 4096
    /// The standard library keeps a temporary allocation on the stack only up to 1 KiB without
    /// asking how much stack is left; a larger scratch would be a heap allocation per call.
    private static let scratchBytes = 1024

    /// The error that stopped it, if any.
    private func inflate(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], limit: Int) -> WebSocketError? {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        var next = Next.more
        // Output space is never more than the budget plus one byte: a bomb stops there.
        let space = min(limit + 1, max(Self.smallestFirstSpace, min(input.count * Self.firstSpacePerInputByte, Self.largestFirstSpace)))
        // An empty array with room enough (an `InflateScratch`'s) is filled through the stack scratch.
        if output.isEmpty && output.capacity < space && outputSlice == Int.max {
            output = [UInt8](unsafeUninitializedCapacity: space) { buffer, count in
                (count, next) = step(into: buffer)
            }
            if output.count > limit { return .messageTooLarge(limit: limit) }
        }
        while case .more = next {
            let room = limit - output.count + 1
            guard room > 0 else { return .messageTooLarge(limit: limit) }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchBytes) { scratch in
                let space = UnsafeMutableBufferPointer(rebasing: scratch[0..<min(room, scratch.count, outputSlice)])
                let produced: Int
                (produced, next) = step(into: space)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: space[0..<produced]))
            }
            if output.count > limit { return .messageTooLarge(limit: limit) }
        }
        if case .failed(let error) = next { return error }
        return nil
    }

    /// One call into zlib with `space` for its output: how much it wrote, and what is left to do.
    private func step(into space: UnsafeMutableBufferPointer<UInt8>) -> (produced: Int, next: Next) {
        stream.pointee.next_out = space.baseAddress
        stream.pointee.avail_out = UInt32(space.count)
        let code = CZlib.inflate(stream, Z_SYNC_FLUSH)
        let produced = space.count - Int(stream.pointee.avail_out)
        switch code {
        case Z_OK:
            return (produced, stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 ? .done : .more)
        case Z_BUF_ERROR:
            return (produced, .done)   // no progress possible: input consumed
        case Z_STREAM_END:
            // A block with BFINAL set ended the deflate stream; a later message starts a new one
            // (RFC 7692 §7.2.3.3 allows BFINAL, the receiver must cope).
            inflateReset(stream)
            return (produced, stream.pointee.avail_in == 0 ? .done : .more)
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
            return (produced, .failed(.inflateFailed(message)))
        }
    }

    /// Ends a message: feeds the sync tail the sender stripped (§7.2.2).
    public func finishMessage(into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        try inflate(Deflater.syncTail, into: &output, limit: limit)
    }

    public func reset() {
        inflateReset(stream)
    }
}
