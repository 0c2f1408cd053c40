import NIOCore
import WebSocketCore

/// One client connection of a scenario: writes the opening handshake when the channel is
/// active, runs the core's client on what arrives, and tells the scenario what happened through
/// the hooks its subclass overrides. Used on its channel's event loop only.
class BenchConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var client: BenchClient
    private(set) var context: ChannelHandlerContext?
    /// Something was written since the last flush (most reads of a room member write nothing, and
    /// an empty flush still walks the pipeline).
    private var unflushed = false
    /// Given: messages are lent to `didReceive(lent:)` where they lie, compressed ones inflated
    /// into this scratch of the load's event loop, so that the generator copies and allocates
    /// nothing per message (where it saturates its core, its cost per message caps the figure).
    private let scratch: LoopScratch?

    init(client: BenchClient, scratch: LoopScratch? = nil) {
        self.client = client
        self.scratch = scratch
    }

    // MARK: Hooks

    /// The opening handshake completed.
    func didOpen() {}
    /// An event of the open connection (messages — unless lent —, close, failure).
    func didReceive(_ event: ConnectionEvent) {}
    /// A message lent during the read (with a scratch): valid only during the call, and the
    /// client is busy reading — answer in `didFinishRead`, not from here.
    func didReceive(lent message: MessageView) {}
    /// The read's messages and events were all handed over: the place to send in answer.
    func didFinishRead() {}
    /// The handshake was refused with an HTTP status (`refused`) or failed; the channel closes.
    func didFail(refused: Bool) {}
    /// The transport failed; the channel closes.
    func transportError() {}
    /// The channel closed, whether the handshake had completed or not.
    func connectionClosed() {}

    // MARK: Sending

    /// Writes one message (masked, compressed as negotiated); `flush()` sends it.
    @discardableResult
    func send(_ message: Message) -> Bool {
        guard let context, let bytes = client.send(message) else { return false }
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        unflushed = true
        return true
    }

    /// Starts the closing handshake.
    func sendClose() {
        guard let context, let bytes = client.close() else { return }
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        unflushed = true
    }

    func flush() {
        guard unflushed else { return }
        unflushed = false
        context?.flush()
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: client.request)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionClosed()
        context.fireChannelInactive()
    }

    /// Breaks the handler ↔ context cycle once the channel is gone.
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var answers: [UInt8] = []
        let update = buffer.withUnsafeReadableBytes { bytes in
            guard let scratch else { return client.receive(bytes) }
            return client.receive(bytes, scratch: &scratch.inflate) { delivery in
                switch delivery {
                case .message(let message): didReceive(lent: message)
                case .answer(let bytes): answers += bytes   // written once the read is over
                }
            }
        }
        if !answers.isEmpty {
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: answers)), promise: nil)
            unflushed = true
        }
        switch update {
        case .waiting:
            return
        case .refused:
            didFail(refused: true)
            context.close(promise: nil)
        case .failed:
            didFail(refused: false)
            context.close(promise: nil)
        case .output(let output, let opened):
            if !output.outbound.isEmpty {
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: output.outbound)), promise: nil)
                unflushed = true
            }
            if opened { didOpen() }
            for event in output.events { didReceive(event) }
            didFinishRead()
            flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        transportError()
        context.close(promise: nil)
    }
}

/// The inflate scratch the connections of one load's event loop lend their compressed messages
/// from (`InflateScratch`: one per thread). Touched only on that loop.
final class LoopScratch: @unchecked Sendable {
    var inflate = InflateScratch()
}
