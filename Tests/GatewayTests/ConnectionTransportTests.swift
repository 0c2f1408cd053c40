import Foundation
@testable import Gateway
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A connection's transport on a real event loop and a loopback socket: what one pass of the loop
/// writes leaves in order with one flush, every byte is counted against the server-wide budget
/// until the socket took it, nothing is written once the transport ended, and the staged close
/// lets the peer read the last bytes before the end of the stream.
@Suite(.serialized) struct ConnectionTransportTests {
    /// The server side's pipeline: a counter of the channel's writes and flushes, then the probe
    /// that hands the transport its context (as the connection's handler does).
    final class Counter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = ByteBuffer
        var writes = 0
        var flushes = 0
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            writes += 1
            context.write(data, promise: promise)
        }
        func flush(context: ChannelHandlerContext) {
            flushes += 1
            context.flush()
        }
    }

    final class Probe: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let transport: ConnectionTransport
        init(_ transport: ConnectionTransport) { self.transport = transport }
        func handlerAdded(context: ChannelHandlerContext) { transport.attach(context) }
        func handlerRemoved(context: ChannelHandlerContext) { transport.detach() }
    }

    /// What the client side read, and whether its stream ended.
    final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        let ended = Mutex(false)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += buffer.readableBytesView }
        }
        func channelInactive(context: ChannelHandlerContext) { ended.withLock { $0 = true } }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event { ended.withLock { $0 = true } }
        }

        /// Whether the stream ended within `timeout`.
        func waitForEnd(timeout: TimeInterval = 5) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while !ended.withLock({ $0 }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            return ended.withLock { $0 }
        }

        func wait(for count: Int, orEnd: Bool = false, timeout: TimeInterval = 5) {
            let deadline = Date().addingTimeInterval(timeout)
            while bytes.withLock({ $0.count }) < count && !(orEnd && ended.withLock { $0 }) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
    }

    /// A transport on the server side of a loopback connection, with its probe and the client's reader.
    struct Connection: @unchecked Sendable {
        let transport: ConnectionTransport
        let counter: Counter
        let reader: Reader
        let budget: BufferBudget
        let loop: EventLoop
        let server: Channel
        let client: Channel

        func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> T {
            try loop.submit(body).wait()
        }
    }

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func connect() throws -> Connection {
        let budget = BufferBudget(limit: 1 << 20)
        let transport = ConnectionTransport(budget: budget)
        let counter = Counter()
        let accepted = group.next().makePromise(of: Void.self)
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([counter, Probe(transport)])
                    accepted.succeed()
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        let reader = Reader()
        let client = try ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) } }
            .connect(host: "127.0.0.1", port: server.localAddress!.port!).wait()
        try accepted.futureResult.wait()
        return Connection(transport: transport, counter: counter, reader: reader, budget: budget, loop: group.next(), server: server, client: client)
    }

    @Test func aPassLeavesInOrderWithOneFlushAndIsCounted() throws {
        let connection = try Self.connect()
        defer { try? connection.client.close().wait(); try? connection.server.close().wait() }
        let queuedInPass = try connection.onLoop {
            connection.transport.write([0x81, 0x01, 0x61])
            connection.transport.write([0x81, 0x01, 0x62])
            connection.transport.write([])   // nothing to write: no frame
            connection.transport.write([0x8A, 0x00])
            return (connection.transport.queuedBytes, connection.counter.writes)
        }
        #expect(queuedInPass == (8, 0), "nothing reaches the channel before the end of the pass")
        connection.reader.wait(for: 8)
        #expect(connection.reader.bytes.withLock { $0 } == [0x81, 0x01, 0x61, 0x81, 0x01, 0x62, 0x8A, 0x00])
        let counted = try connection.onLoop {
            (connection.counter.writes, connection.counter.flushes, connection.transport.bytesWritten, connection.transport.queuedBytes)
        }
        #expect(counted == (1, 1, 8, 0), "small frames of one pass merged into one write, one flush; the socket took them")
        #expect(connection.budget.total == 0)
    }

    @Test func whatTheSocketHasNotTakenCountsInTheBudgetUntilTheTransportEnds() throws {
        let connection = try Self.connect()
        defer { try? connection.client.close().wait(); try? connection.server.close().wait() }
        // The client does not read: the kernel's buffers fill and the rest waits in the channel.
        try connection.client.setOption(.autoRead, value: false).wait()
        let large = [UInt8](repeating: 0x41, count: 16 << 20)
        try connection.onLoop { connection.transport.write(large) }
        try connection.onLoop { }   // the pass's flush ran
        let held = try connection.onLoop { connection.transport.queuedBytes }
        #expect(held > 0 && held < large.count && connection.budget.total == held, "held \(held), budget \(connection.budget.total)")
        try connection.onLoop {
            connection.transport.transportEnded()
            connection.transport.write([0x81, 0x00])
        }
        try connection.onLoop { }
        #expect(connection.budget.total == 0, "what a closed channel held leaves the budget")
        #expect(try connection.onLoop { connection.transport.queuedBytes } == 0, "nothing is queued once the transport ended")
    }

    @Test func theStagedCloseLetsThePeerReadTheLastBytes() throws {
        let connection = try Self.connect()
        defer { try? connection.client.close().wait(); try? connection.server.close().wait() }
        let answer = Array("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".utf8)
        try connection.onLoop {
            connection.transport.write([0x81, 0x02, 0x68, 0x69])
            connection.transport.writeAndClose(answer)
        }
        connection.reader.wait(for: 4 + answer.count, orEnd: true)
        #expect(connection.reader.bytes.withLock { $0 } == [0x81, 0x02, 0x68, 0x69] + answer)
        #expect(connection.reader.waitForEnd(), "FIN after the last bytes")
    }

    @Test func aClosingHandshakesDeadlineDropsTheConnection() throws {
        let connection = try Self.connect()
        defer { try? connection.client.close().wait(); try? connection.server.close().wait() }
        try connection.onLoop { connection.transport.close(after: 0.3) }
        #expect(!connection.reader.ended.withLock { $0 }, "not before the deadline")
        #expect(connection.reader.waitForEnd(), "dropped once the deadline passed")
    }

    @Test func aPeerThatDoesNotReadIsDroppedAtOnce() throws {
        let connection = try Self.connect()
        defer { try? connection.client.close().wait(); try? connection.server.close().wait() }
        try connection.onLoop {
            connection.transport.write([0x81, 0x01, 0x61])   // waits for the pass's flush: dropped
            connection.transport.abandon(sending: [0x88, 0x02, 0x03, 0xF0])
        }
        connection.reader.wait(for: 4, orEnd: true)
        #expect(connection.reader.bytes.withLock { $0 } == [0x88, 0x02, 0x03, 0xF0], "only the close frame")
        try connection.onLoop { }
        #expect(try connection.onLoop { connection.transport.context == nil }, "the channel is closed")
    }
}
