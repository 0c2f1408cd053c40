import NIOCore

/// What one connection has written and its socket has not taken yet: the frames of this pass of
/// the event loop (`FrameOutbox`), handed to the channel together with one flush, and what the
/// channel still buffers, both counted against the member's limit and the server-wide budget.
/// A value inside the connection's handler: no allocation of its own per connection.
struct OutboundWriter {
    private var outbox = FrameOutbox()
    /// The buffer of the last echo or coalesced pass, reused by the next one.
    private var spare = SpareSendBuffer()
    /// Bytes handed to the channel that its socket had not taken when last asked (after each
    /// flush, and on writability changes).
    private(set) var channelBytes = 0
    /// The channel is gone: nothing more is counted in the server-wide budget.
    private(set) var transportClosed = false
    /// A flush is already asked for in this pass (`LoopFlusher`).
    var flushScheduled = false

    /// What this member holds that its peer has not taken: this pass's frames and the channel's.
    var queuedBytes: Int { outbox.bytes + channelBytes }
    var frameCount: Int { outbox.count }

    /// Queues a frame; it reaches the channel with the pass's others at `flush`.
    mutating func append(_ buffer: ByteBuffer) {
        outbox.append(buffer)
    }

    /// The spare send buffer, handed to whoever frames the next echo (it gives it back with
    /// `keepSpare`); the writer holds none meanwhile, so the buffer stays unique.
    mutating func lendSpare() -> SpareSendBuffer {
        let lent = spare
        spare.release()
        return lent
    }

    mutating func keepSpare(_ buffer: SpareSendBuffer) {
        spare = buffer
    }

    /// This pass's frames, taken out to be written (`write(_:to:completion:)`) and then counted
    /// (`handedOver`): the writer is not touched while the channel runs, since a write can re-enter
    /// the handler (a writability change, a TLS handler's own writes) and reach the writer again.
    struct Pass {
        var first: ByteBuffer
        var more: [ByteBuffer]
        var bytes: Int
    }

    /// The pass's frames, runs of small ones merged; nil when there are none, or when the
    /// transport is gone (they are dropped).
    mutating func takePass(allocator: ByteBufferAllocator) -> Pass? {
        guard !transportClosed else { drop(); return nil }
        if outbox.count > 1 { coalesce(allocator: allocator) }
        let bytes = outbox.bytes
        guard let (first, more) = outbox.takeFrames() else { return nil }
        return Pass(first: first, more: more, bytes: bytes)
    }

    /// Writes a pass's frames in order. No promise per write (a promise and its callback would be
    /// allocations per pass per member, for a figure the channel keeps anyway); `completion`
    /// (closing only) is fulfilled once the last frame is written.
    static func write(_ pass: Pass, to context: ChannelHandlerContext, completion: EventLoopPromise<Void>? = nil) {
        context.write(NIOAny(pass.first), promise: pass.more.isEmpty ? completion : nil)
        for (index, frame) in pass.more.enumerated() {
            context.write(NIOAny(frame), promise: index == pass.more.count - 1 ? completion : nil)
        }
    }

    /// The pass is in the channel: its bytes count until the socket takes them (the server-wide
    /// budget is shared by every loop: touched once per pass, not per frame), and its array's
    /// storage serves the next pass.
    mutating func handedOver(_ pass: consuming Pass, budget: BufferBudget) {
        budget.add(pass.bytes)
        channelBytes += pass.bytes
        outbox.reuseStorage(of: pass.more)
    }

    /// What the socket has not taken yet, as the channel counts it; the server-wide budget follows.
    mutating func refresh(_ context: ChannelHandlerContext, budget: BufferBudget) {
        guard !transportClosed else { return }
        let buffered = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? channelBytes
        budget.adjust(by: buffered - channelBytes)
        channelBytes = buffered
    }

    /// The channel closed: what it held leaves the server-wide budget, and nothing more is written.
    mutating func transportEnded(budget: BufferBudget) {
        transportClosed = true
        budget.remove(channelBytes)
        channelBytes = 0
    }

    /// Frames that will never be written (the member is gone or stuck): not yet in the
    /// server-wide budget, which counts them when handed over.
    mutating func drop() {
        outbox.removeAll()
    }

    /// A quiet connection holds no send buffer and no emptied frame array.
    mutating func releaseIdleStorage() {
        spare.release()
        outbox.releaseStorage()
    }

    /// Copies runs of small frames into one buffer (a member of a busy room gets dozens per pass,
    /// and a `write` each would dominate), the last run into the spare send buffer, kept for the
    /// next pass.
    private mutating func coalesce(allocator: ByteBufferAllocator) {
        let capacity = min(outbox.bytes, 64 * 1024)
        var spare = self.spare
        self.spare.release()
        if let lastRun = outbox.mergeSmallFrames(upTo: 2048, emptyRun: { spare.empty(capacity: capacity, allocator: allocator) }) {
            spare.keep(lastRun)
        }
        self.spare = spare
    }
}
