import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import PeerRoom

// nio-websocket-peer echo|room: a WebSocket server written the way SwiftNIO's own example writes one
// (NIOHTTP1 + NIOWebSocketServerUpgrader + a handler of WebSocketFrame), one event loop, the
// receive buffer of `passerelle serve` (256 B initial). Prints its port, serves until stdin closes.
//   echo  every data frame written back as it came (opcode, fin), ping answered, close answered
//   room  the tutorial's chat room as bench/servers/node_ws_room.js: each ctrl/chat/out becomes one
//         ws/chat/in line, serialised once, the same buffer written to every member, one flush per
//         member per event-loop pass
// No permessage-deflate: NIOWebSocket has none.

/// The members of the room, touched on the one event loop only.
final class Room: @unchecked Sendable {
    var members: [ObjectIdentifier: ChannelHandlerContext] = [:]
    private var unflushed: [ObjectIdentifier: ChannelHandlerContext] = [:]
    private var flushScheduled = false

    func deliver(_ frame: WebSocketFrame, on loop: EventLoop) {
        for (id, member) in members {
            member.write(NIOAny(frame), promise: nil)
            unflushed[id] = member
        }
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.execute {
            self.flushScheduled = false
            let pending = self.unflushed
            self.unflushed.removeAll(keepingCapacity: true)
            for member in pending.values { member.flush() }
        }
    }
}

final class PeerHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let room: Room?
    private var closing = false

    init(room: Room?) { self.room = room }

    func handlerAdded(context: ChannelHandlerContext) {
        room?.members[ObjectIdentifier(self)] = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        room?.members[ObjectIdentifier(self)] = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            guard !closing else { context.close(promise: nil); return }
            closing = true
            var code = frame.unmaskedData
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: code.readSlice(length: min(2, code.readableBytes)) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
        case .ping:
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .text, .binary, .continuation:
            if let room {
                if frame.opcode == .text, frame.fin, let line = RoomLine.answer(to: Data(frame.unmaskedData.readableBytesView)).map { ByteBuffer(bytes: $0) } {
                    room.deliver(WebSocketFrame(fin: true, opcode: .text, data: line), on: context.eventLoop)
                }
            } else {
                context.write(wrapOutboundOut(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
            }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

let mode = CommandLine.arguments.dropFirst().first ?? "echo"
guard mode == "echo" || mode == "room" else {
    FileHandle.standardError.write(Data("usage: nio-websocket-peer echo|room\n".utf8))
    exit(2)
}
let room: Room? = mode == "room" ? Room() : nil
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let upgrader = NIOWebSocketServerUpgrader(
    maxFrameSize: 1 << 20,
    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
    upgradePipelineHandler: { channel, _ in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(PeerHandler(room: room)) }
    })
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 64 * 1024))
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
    }
    .bind(host: "127.0.0.1", port: 0).wait()
print(server.localAddress?.port ?? 0)
fflush(stdout)
// Ends when stdin closes, like the node and Python peers (scripts keep a pipe open).
DispatchQueue.global().async {
    while readLine() != nil {}
    exit(0)
}
try server.closeFuture.wait()
