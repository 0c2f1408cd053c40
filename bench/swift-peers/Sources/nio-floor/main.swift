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

/// One side of a byte tunnel: what its channel reads is written to the partner's channel, flushed
/// once per read burst. The CPU floor under any relay built on SwiftNIO (scripts/bench-bridge): no
/// parsing, no framing, no allocation of its own. Bytes read before the partner exists wait.
final class TunnelSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var context: ChannelHandlerContext?
    private var partner: TunnelSide?
    private var early: [NIOAny] = []

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; partner = nil }

    func join(_ other: TunnelSide) {
        partner = other
        guard let context = other.context, !early.isEmpty else { return }
        for data in early { context.write(data, promise: nil) }
        early = []
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let target = partner?.context { target.write(data, promise: nil) } else { early.append(data) }
    }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }
}

// nio-floor [INITIAL-RECEIVE-BUFFER] [echo | tunnel PORT]: prints its port, serves until killed.
// One event loop and the receive-buffer sizes of `passerelle serve` (minimum 64, initial 256,
// maximum 64 KiB); `echo` writes back what it reads instead of dropping it (scripts/bench-tcp-floor);
// `tunnel PORT` joins each connection to a new one to 127.0.0.1:PORT (scripts/bench-bridge).
let arguments = Array(CommandLine.arguments.dropFirst())
let tunnelPort = arguments.firstIndex(of: "tunnel").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil }
let initial = arguments.first.flatMap(Int.init) ?? 256
let echoes = arguments.contains("echo")
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initial, maximum: 64 * 1024))
    .childChannelInitializer { child in
        guard let tunnelPort else {
            return child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(echoes ? EchoHandler() as ChannelHandler : DropHandler()) }
        }
        let inbound = TunnelSide(), outbound = TunnelSide()
        ClientBootstrap(group: child.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initial, maximum: 64 * 1024))
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(outbound) } }
            .connect(host: "127.0.0.1", port: tunnelPort)
            .whenComplete { result in
                guard case .success = result else { child.close(promise: nil); return }
                outbound.join(inbound)
                inbound.join(outbound)
            }
        return child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(inbound) }
    }
    .bind(host: "127.0.0.1", port: 0).wait()
print(channel.localAddress?.port ?? 0)
fflush(stdout)
try channel.closeFuture.wait()
