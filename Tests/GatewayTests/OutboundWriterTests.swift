import NIOCore
import NIOEmbedded
import Testing
@testable import Gateway

/// The connection's writer on a channel: a pass's frames reach it in order with one flush, small
/// ones merged, and every byte counted against the server-wide budget until the socket took it.
@Suite struct OutboundWriterTests {
    /// Captures its context, for the writer to write through (as the handler does).
    final class Probe: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var context: ChannelHandlerContext?
        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    }

    static let allocator = ByteBufferAllocator()

    static func channel() throws -> (EmbeddedChannel, ChannelHandlerContext) {
        let channel = EmbeddedChannel()
        let probe = Probe()
        try channel.pipeline.syncOperations.addHandler(probe)
        return (channel, try #require(probe.context))
    }

    static func outbound(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var written: [[UInt8]] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written.append(Array(buffer.readableBytesView)) }
        return written
    }

    @Test func aPassIsWrittenInOrderWithOneFlushAndCounted() throws {
        let (channel, context) = try Self.channel()
        let budget = BufferBudget(limit: 1 << 20)
        var writer = OutboundWriter()
        writer.append(Self.allocator.buffer(bytes: [0x81, 0x01, 0x61]))
        writer.append(Self.allocator.buffer(bytes: [0x81, 0x01, 0x62]))
        writer.append(Self.allocator.buffer(bytes: [0x8A, 0x00]))
        #expect(writer.queuedBytes == 8 && writer.frameCount == 3)
        #expect(try Self.outbound(channel).isEmpty, "nothing reaches the channel before the pass's flush")
        OutboundWriter.flush(&writer, context, budget: budget, allocator: Self.allocator)
        // Small frames of one pass leave as one buffer, in order.
        #expect(try Self.outbound(channel) == [[0x81, 0x01, 0x61, 0x81, 0x01, 0x62, 0x8A, 0x00]])
        #expect(writer.frameCount == 0)
        #expect(budget.total == writer.channelBytes, "the budget holds what the channel holds")
        writer.transportEnded(budget: budget)
        #expect(budget.total == 0 && writer.channelBytes == 0)
        writer.append(Self.allocator.buffer(bytes: [0x81, 0x00]))
        OutboundWriter.flush(&writer, context, budget: budget, allocator: Self.allocator)
        #expect(try Self.outbound(channel).isEmpty && writer.frameCount == 0, "nothing is written once the transport ended")
        _ = try channel.finish()
    }

    @Test func largeFramesPassAsTheyAre() throws {
        let (channel, context) = try Self.channel()
        let budget = BufferBudget(limit: 1 << 20)
        var writer = OutboundWriter()
        let large = [UInt8](repeating: 0x41, count: 5000)
        writer.append(Self.allocator.buffer(bytes: large))
        writer.append(Self.allocator.buffer(bytes: [0x8A, 0x00]))
        OutboundWriter.flush(&writer, context, budget: budget, allocator: Self.allocator)
        #expect(try Self.outbound(channel) == [large, [0x8A, 0x00]])
        _ = try channel.finish()
    }

    @Test func droppedFramesAreNeverWrittenNorCounted() throws {
        let (channel, context) = try Self.channel()
        let budget = BufferBudget(limit: 1 << 20)
        var writer = OutboundWriter()
        writer.append(Self.allocator.buffer(bytes: [0x81, 0x01, 0x61]))
        writer.drop()
        OutboundWriter.flush(&writer, context, budget: budget, allocator: Self.allocator)
        #expect(try Self.outbound(channel).isEmpty && budget.total == 0 && writer.queuedBytes == 0)
        _ = try channel.finish()
    }

    @Test func theClosingWriteCompletesOnceWritten() throws {
        let (channel, context) = try Self.channel()
        var writer = OutboundWriter()
        writer.append(Self.allocator.buffer(bytes: [0x88, 0x02, 0x03, 0xE8]))
        let written = channel.eventLoop.makePromise(of: Void.self)
        var done = false
        written.futureResult.whenSuccess { done = true }
        OutboundWriter.flush(&writer, context, budget: BufferBudget(limit: 1 << 20), allocator: Self.allocator, completion: written)
        channel.embeddedEventLoop.run()
        #expect(done)
        #expect(try Self.outbound(channel) == [[0x88, 0x02, 0x03, 0xE8]])
        _ = try channel.finish()
    }
}

extension OutboundWriter {
    /// Takes, writes and flushes a pass, then asks the channel what its socket did not take: what
    /// `ConnectionTransport.flush` does, for a writer held outside the channel's reach.
    static func flush(_ writer: inout OutboundWriter, _ context: ChannelHandlerContext, budget: BufferBudget,
                      allocator: ByteBufferAllocator, completion: EventLoopPromise<Void>? = nil) {
        guard let pass = writer.takePass(allocator: allocator) else { completion?.succeed(); return }
        write(pass, to: context, completion: completion)
        writer.handedOver(pass, budget: budget)
        context.flush()
        writer.refresh(context, budget: budget)
    }
}
