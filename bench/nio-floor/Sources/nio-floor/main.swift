import Foundation
import NIOCore
import NIOPosix

/// Reads and drops: no per-connection state of its own, so RSS per connection is SwiftNIO's.
final class DropHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

// nio-floor [INITIAL-RECEIVE-BUFFER]: prints its port, serves until killed. One event loop and
// the receive-buffer sizes of `passerelle serve` (minimum 64, initial 256, maximum 64 KiB).
let initial = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 256
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initial, maximum: 64 * 1024))
    .childChannelInitializer { child in
        child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(DropHandler()) }
    }
    .bind(host: "127.0.0.1", port: 0).wait()
print(channel.localAddress?.port ?? 0)
fflush(stdout)
try channel.closeFuture.wait()
