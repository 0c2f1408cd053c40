import CZlib

/// Compresses messages for permessage-deflate (RFC 7692 §7.2.1): raw deflate, each message ended
/// with a sync flush whose empty stored block (`00 00 ff ff`) is stripped.
///
/// The z_stream lives at a fixed address (zlib keeps a back-pointer to it), hence a class that
/// owns the allocation.
public final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    public let windowBits: Int
    /// Where `withCompressed` writes: made on its first use, so only the compressors a loop shares
    /// (one per parameter set) hold one — never a connection's own.
    private var scratch = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
    /// Scratch kept between messages at most; a larger message's is freed after use.
    private static let keptScratchBytes = 64 * 1024

    /// RFC 7692 §7.2.1: the tail every sync flush ends with.
    public static let syncTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    public enum InitError: Error, Hashable { case zlib(code: Int32, windowBits: Int) }

    /// `windowBits` 9–15 (zlib refuses 8 for raw deflate, see `DeflateConfiguration.WindowBits8Policy`).
    public init(windowBits: Int, memoryLevel: Int = 8, compressionLevel: Int = -1) throws(InitError) {
        // zlib is initialised before any stored property is set: a class whose init throws
        // after full initialisation runs its deinit, which would end and free the stream twice.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = passerelle_deflateInit2(stream, Int32(compressionLevel), Z_DEFLATED,
                                           -Int32(windowBits), Int32(memoryLevel), Z_DEFAULT_STRATEGY)
        guard code == Z_OK else {
            stream.deallocate()
            throw .zlib(code: code, windowBits: windowBits)
        }
        self.stream = stream
        self.windowBits = windowBits
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Compresses one whole message as `compress` does and lends the bytes to `body` from a
    /// scratch this compressor keeps: no array per message for a frame that is copied into a send
    /// buffer anyway (the shared encoder's). Valid only during the call.
    public func withCompressed<R>(_ message: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = message.withContiguousStorageIfAvailable({ withCompressed(contiguous: $0, body) }) { return result }
        return Array(message).withUnsafeBufferPointer { withCompressed(contiguous: $0, body) }
    }

    private func withCompressed<R>(contiguous input: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        // See `compress` for the bound; should zlib need more, the scratch grows and it goes on.
        let bound = Int(deflateBound(stream, UInt(input.count))) + 16
        if scratch.count < bound { replaceScratch(capacity: max(bound, 4096), keeping: 0) }
        var produced = 0
        while true {
            stream.pointee.next_out = scratch.baseAddress! + produced
            stream.pointee.avail_out = UInt32(scratch.count - produced)
            _ = deflate(stream, Z_SYNC_FLUSH)   // as in `compress`: Z_BUF_ERROR only means no progress
            produced = scratch.count - Int(stream.pointee.avail_out)
            if stream.pointee.avail_out != 0 { break }
            replaceScratch(capacity: scratch.count * 2, keeping: produced)
        }
        defer { if scratch.count > Self.keptScratchBytes { replaceScratch(capacity: 0, keeping: 0) } }
        if produced >= 4 && UnsafeBufferPointer(rebasing: scratch[(produced - 4)..<produced]).elementsEqual(Self.syncTail) {
            produced -= 4
        }
        if produced == 0 {   // see `compress`: the empty stored block's header byte
            scratch[0] = 0x00
            produced = 1
        }
        return body(UnsafeBufferPointer(rebasing: scratch[..<produced]))
    }

    private func replaceScratch(capacity: Int, keeping count: Int) {
        let replacement = capacity > 0 ? UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
                                       : UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
        if count > 0 { _ = replacement.initialize(fromContentsOf: scratch[..<count]) }
        scratch.deallocate()
        scratch = replacement
    }

    /// Compresses one whole message and strips the sync-flush tail.
    ///
    /// One pass on the hot path: the input is read in place and zlib writes straight into the
    /// result, sized by `deflateBound` (plus the sync flush's bytes) so one call nearly always
    /// suffices; no scratch buffer, no zero fill.
    public func compress(_ message: some Collection<UInt8>) -> [UInt8] {
        if let compressed = message.withContiguousStorageIfAvailable({ compress(contiguous: $0) }) { return compressed }
        return Array(message).withUnsafeBufferPointer { compress(contiguous: $0) }
    }

    private func compress(contiguous input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        // deflateBound covers a Z_FINISH stream; a sync flush adds an empty stored block (5 bytes)
        // and may close a partial block: 16 spare bytes.
        var output: [UInt8] = []
        var capacity = Int(deflateBound(stream, UInt(input.count))) + 16
        while true {
            var full = false
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = UInt32(buffer.count)
                // Z_SYNC_FLUSH never fails on a valid stream with output space; Z_BUF_ERROR
                // only says "no progress possible", which ends the loop below.
                _ = deflate(stream, Z_SYNC_FLUSH)
                count = buffer.count - Int(stream.pointee.avail_out)
                full = stream.pointee.avail_out == 0
            }
            if output.isEmpty { output = chunk } else { output += chunk }
            if !full { break }
            capacity = max(capacity, 4096)
        }
        if output.count >= 4 && output.suffix(4).elementsEqual(Self.syncTail) {
            output.removeLast(4)
        }
        // zlib skips a sync flush that directly follows another with no input in between, so a
        // second empty message yields no bytes at all — and an empty payload plus the receiver's
        // `00 00 ff ff` is *not* a complete block (its header byte is missing), which desyncs the
        // peer's inflater. Emit the empty stored block's header byte ourselves.
        if output.isEmpty { output = [0x00] }
        return output
    }

    /// Forgets the window: the next message is compressed without reference to earlier ones.
    public func reset() {
        deflateReset(stream)
    }
}
