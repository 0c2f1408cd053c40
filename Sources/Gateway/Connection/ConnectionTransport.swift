import NIOCore

/// One connection's side of its channel: the frames it writes, queued for the end of the loop
/// pass and flushed once for every connection of the loop (`LoopFlusher`); what its socket has
/// not taken, counted against the member's limit and the server-wide budget (`OutboundWriter`);
/// the close in stages; the recording of both directions. No protocol rule lives here: the
/// handler decides what is written and when the connection ends.
///
/// It is also what the loop's services hold of the connection — its flusher, its timers, the
/// server's registry — and they reach the handler through it until the pipeline is torn down.
/// Touched on its event loop only (the registry hands it there).
final class ConnectionTransport: @unchecked Sendable {
    private(set) var context: ChannelHandlerContext?
    /// The connection's handler, until its pipeline is torn down: a timer that fires later finds
    /// nothing, and the handler is not kept alive by its timers. Not a weak reference: that gives
    /// the handler a side table, and from then on every retain and release of it takes the Swift
    /// runtime's slow path (which shows in a large broadcast, where each line touches every member).
    var handler: WebSocketChannelHandler?
    private var writer = OutboundWriter()
    private let budget: BufferBudget
    /// `serve --record`: both directions of the connection, in order.
    var recorder: ConnectionRecorder?
    /// Every byte handed over for writing, for the connection's report and its quiet spells.
    private(set) var bytesWritten = 0

    /// The channel's allocator is NIO's default (the server never sets another): one for every
    /// connection rather than four function pointers stored in each.
    static let allocator = ByteBufferAllocator()

    init(budget: BufferBudget) {
        self.budget = budget
    }

    /// What this connection holds that its peer has not taken: this pass's frames and the channel's.
    var queuedBytes: Int { writer.queuedBytes }

    func attach(_ context: ChannelHandlerContext, handler: WebSocketChannelHandler? = nil) {
        self.context = context
        self.handler = handler
    }

    /// The pipeline is torn down: the context and the handler are let go (the context holds the
    /// handler, which holds this).
    func detach() {
        context = nil
        handler = nil
    }

    // MARK: Writing

    func write(_ bytes: [UInt8]) {
        guard context != nil, !bytes.isEmpty else { return }
        write(Self.allocator.buffer(bytes: bytes))
    }

    /// Queues a frame: it reaches the channel at the end of this pass of the event loop, with the
    /// others written in the pass. Counted against the limits from now until the socket took it.
    func write(_ buffer: ByteBuffer) {
        guard let context, buffer.readableBytes > 0 else { return }
        bytesWritten += buffer.readableBytes
        if let recorder { recorder.record(.s2c, Array(buffer.readableBytesView)) }
        writer.append(buffer)
        guard !writer.flushScheduled else { return }
        writer.flushScheduled = true
        LoopFlusher.current(on: context.eventLoop).schedule(self)
    }

    /// `serve --record`: both directions from now on, into a file of `directory`; false if the
    /// file cannot be made.
    func startRecording(in directory: String, id: Int) -> Bool {
        guard let context else { return false }
        recorder = ConnectionRecorder(directory: directory, id: id, client: context.remoteAddress, server: context.localAddress)
        return recorder != nil
    }

    func recordRead(_ buffer: ByteBuffer) {
        if let recorder { recorder.record(.c2s, Array(buffer.readableBytesView)) }
    }

    /// The flush `write` asked for (called by this loop's `LoopFlusher`).
    func flushScheduledOutbox() {
        writer.flushScheduled = false
        flush()
    }

    /// Hands this pass's frames to the channel with one flush; `completion` (closing only) is
    /// fulfilled once they are written.
    func flush(completion: EventLoopPromise<Void>? = nil) {
        guard let context else { writer.drop(); completion?.succeed(); return }
        guard let pass = writer.takePass(allocator: Self.allocator) else { completion?.succeed(); return }
        // Written with no access to `writer` open: a write can re-enter the handler, and through
        // it this transport.
        OutboundWriter.write(pass, to: context, completion: completion)
        writer.handedOver(pass, budget: budget)
        context.flush()
        refresh()
    }

    /// Counts again what the socket has not taken (after a flush, and when writability changes).
    func refresh() {
        guard let context else { return }
        writer.refresh(context, budget: budget)
        // A bridged pair's relay bounds what waits for the client's socket.
        if let bridge = handler?.bridge { bridge.clientWaiting(writer.queuedBytes) }
    }

    /// What the channel held when last asked, counted again only when it held something: a
    /// broadcast's line asks before every member's delivery.
    func refreshIfHolding() {
        if writer.channelBytes > 0, let context { writer.refresh(context, budget: budget) }
    }

    /// The connection ended: what it would still have written is dropped, its buffers are let go,
    /// and its recording is closed unless a bridge's upstream leg still records into it.
    func connectionEnded(closingRecording: Bool) {
        writer.drop()
        writer.releaseIdleStorage()
        if closingRecording { recorder?.close() }
        recorder = nil
    }

    /// The spare send buffer, lent to whoever frames the next echoes in place (`keepSpare` gives it back).
    func lendSpare() -> SpareSendBuffer { writer.lendSpare() }
    func keepSpare(_ buffer: SpareSendBuffer) { writer.keepSpare(buffer) }

    /// A quiet connection holds no send buffer and no emptied frame array.
    func releaseIdleStorage() { writer.releaseIdleStorage() }

    // MARK: Reading and closing

    func setReading(_ reading: Bool) {
        guard let context else { return }
        context.channel.setOption(.autoRead, value: reading).whenFailure { _ in }
        if reading { context.read() }
    }

    /// The channel closed: what it held leaves the server-wide budget, and nothing more is written.
    func transportEnded() {
        writer.transportEnded(budget: budget)
    }

    /// Writes `bytes` after what waits, then closes in stages (RFC 9112 §9.6): FIN once written,
    /// reading on (input is ignored) until the peer closes or 2 s pass — closing with unread input
    /// sends a RST, which can destroy the answer (a 503, a close frame) before the peer read it.
    func writeAndClose(_ bytes: [UInt8]) {
        guard let context else { writer.drop(); return }
        let channel = context.channel
        write(bytes)
        let written = channel.eventLoop.makePromise(of: Void.self)
        flush(completion: written)
        written.futureResult.whenComplete { _ in
            channel.close(mode: .output).whenComplete { result in
                if case .failure = result { channel.close(promise: nil); return }
                LoopTimers.current(on: channel.eventLoop).after(.milliseconds(2000)) { channel.close(promise: nil) }
            }
        }
    }

    /// A peer that does not read: what waits is dropped, `bytes` (its close frame) go if the
    /// socket takes them, and TCP is dropped at once.
    func abandon(sending bytes: [UInt8]) {
        writer.drop()
        guard let context else { return }
        context.writeAndFlush(NIOAny(Self.allocator.buffer(bytes: bytes)), promise: nil)
        context.close(promise: nil)
    }

    /// Closes the socket now, whatever the connection's state.
    func close() {
        context?.close(promise: nil)
    }

    /// Closes the socket after `seconds` unless it closed before (a closing handshake's deadline).
    func close(after seconds: Double) {
        guard let loop = context?.eventLoop else { return }
        LoopTimers.current(on: loop).after(.seconds(seconds)) { [self] in close() }
    }
}
