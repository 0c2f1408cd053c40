import Foundation
import NIOCore
import NIOPosix

/// Reads and drops: no per-connection state of its own, so RSS per connection is SwiftNIO's.
final class DropHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// Writes back what it reads and flushes once per read burst: the least a SwiftNIO server can do per
/// echoed message (no framing, no allocation of its own), the CPU floor under any NIO echo server.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

// nio-floor [INITIAL-RECEIVE-BUFFER] [echo]: prints its port, serves until killed. One event loop
// and the receive-buffer sizes of `passerelle serve` (minimum 64, initial 256, maximum 64 KiB);
// `echo` writes back what it reads instead of dropping it (scripts/bench-tcp-floor).
let arguments = CommandLine.arguments.dropFirst()
let initial = arguments.compactMap(Int.init).first ?? 256
let echoes = arguments.contains("echo")
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initial, maximum: 64 * 1024))
    .childChannelInitializer { child in
        child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(echoes ? EchoHandler() as ChannelHandler : DropHandler()) }
    }
    .bind(host: "127.0.0.1", port: 0).wait()
print(channel.localAddress?.port ?? 0)
fflush(stdout)
try channel.closeFuture.wait()
