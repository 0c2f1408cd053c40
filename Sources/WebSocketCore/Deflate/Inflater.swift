import CZlib

/// Inflates permessage-deflate messages (RFC 7692 §7.2.2), fed frame payloads as they arrive.
///
/// The size limit is enforced on inflated bytes as they are produced: output space is never more
/// than the remaining budget plus one byte, so a decompression bomb stops after `limit + 1`
/// bytes, whatever its compressed size (checking per frame or on compressed size is the classic bomb).
public final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    public let windowBits: Int

    public enum InitError: Error, Hashable { case zlib(code: Int32, windowBits: Int) }

    /// `windowBits` as negotiated; 8 is inflated with a 9-bit window, because peers whose zlib
    /// predates 1.2.9 were told "8" and silently compressed with 9, and a larger window inflates
    /// any stream made with a smaller one.
    public init(windowBits: Int) throws(InitError) {
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
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates `input`, appending to `output`; throws once `output` would exceed `limit` bytes.
    ///
    /// zlib writes into a 16 KiB scratch on the stack, and only what it produced is appended: no
    /// zero-filled growth of `output` per call, and no buffer held per connection while idle.
    public func inflate(_ input: some Collection<UInt8>, into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        if input.isEmpty { return }
        // Arrays and slices (every caller's) are read in place; anything else is copied once.
        let failure = input.withContiguousStorageIfAvailable { bytes in inflate(bytes, into: &output, limit: limit) }
            ?? Array(input).withUnsafeBufferPointer { bytes in inflate(bytes, into: &output, limit: limit) }
        if let failure { throw failure }
    }

    /// The error that stopped it, if any.
    private func inflate(_ inputBuffer: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], limit: Int) -> WebSocketError? {
        var failure: WebSocketError?
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 * 1024) { scratch in
            do {
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
                stream.pointee.avail_in = UInt32(inputBuffer.count)
                defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
                while true {
                    let room = limit - output.count + 1
                    guard room > 0 else { failure = .messageTooLarge(limit: limit); return }
                    let chunkSize = min(room, scratch.count)
                    stream.pointee.next_out = scratch.baseAddress
                    stream.pointee.avail_out = UInt32(chunkSize)
                    let code = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    let produced = chunkSize - Int(stream.pointee.avail_out)
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<produced]))
                    if output.count > limit { failure = .messageTooLarge(limit: limit); return }
                    switch code {
                    case Z_OK:
                        if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                    case Z_BUF_ERROR:
                        return   // no progress possible: input consumed
                    case Z_STREAM_END:
                        // A block with BFINAL set ended the deflate stream; a later message starts a
                        // new one (RFC 7692 §7.2.3.3 allows BFINAL, the receiver must cope).
                        inflateReset(stream)
                        if stream.pointee.avail_in == 0 { return }
                    default:
                        let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                        failure = .inflateFailed(message)
                        return
                    }
                }
            }
        }
        return failure
    }

    /// Ends a message: feeds the sync tail the sender stripped (§7.2.2).
    public func finishMessage(into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        try inflate(Deflater.syncTail, into: &output, limit: limit)
    }

    public func reset() {
        inflateReset(stream)
    }
}
