import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWSCompression
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import PeerRoom
import Synchronization

// hummingbird-peer echo|room: hummingbird-websocket as its documentation and the hummingbird-examples
// chat write it — an upgrade closure handling `inbound.messages` — with permessage-deflate offered
// (used only when the client asks) and UTF-8 validated, as Passerelle, node ws and Python websockets
// do. One event loop. Prints its port, serves until stdin closes.
//   echo  every message written back (text or binary)
//   room  the tutorial's chat room as bench/servers/node_ws_room.js: each ctrl/chat/out becomes one
//         ws/chat/in line, serialised once and handed to every member's outbound stream (the
//         examples' connection-manager pattern), sender included

/// Each member's queue of lines to send, written by any sender's task and drained by the member's own.
final class Room: Sendable {
    private let members = Mutex<[Int: AsyncStream<ByteBuffer>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    func join() -> (Int, AsyncStream<ByteBuffer>) {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        members.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func leave(_ id: Int) {
        members.withLock { $0.removeValue(forKey: id) }?.finish()
    }

    func broadcast(_ line: ByteBuffer) {
        members.withLock { members in
            for continuation in members.values { continuation.yield(line) }
        }
    }
}

let mode = CommandLine.arguments.dropFirst().first ?? "echo"
guard mode == "echo" || mode == "room" else {
    FileHandle.standardError.write(Data("usage: hummingbird-peer echo|room\n".utf8))
    exit(2)
}
let room = Room()
let maxMessage = 1 << 20
let configuration = WebSocketServerConfiguration(
    maxFrameSize: maxMessage,
    extensions: [.perMessageDeflate(maxDecompressedFrameSize: maxMessage)],
    validateUTF8: true)
let upgrade: HTTPServerBuilder = .http1WebSocketUpgrade(configuration: .init(ws: configuration)) { _, _, _ in
    if mode == "echo" {
        return .upgrade([:]) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: maxMessage) {
                switch message {
                case .text(let text): try await outbound.write(.text(text))
                case .binary(let bytes): try await outbound.write(.binary(bytes))
                }
            }
        }
    }
    return .upgrade([:]) { inbound, outbound, _ in
        let (id, lines) = room.join()
        defer { room.leave(id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await line in lines {
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: line)))
                }
            }
            for try await message in inbound.messages(maxSize: maxMessage) {
                if case .text(let text) = message, let line = RoomLine.answer(to: Data(text.utf8)).map({ ByteBuffer(bytes: $0) }) { room.broadcast(line) }
            }
            group.cancelAll()
        }
    }
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let app = Application(
    router: Router(),
    server: upgrade,
    configuration: .init(address: .hostname("127.0.0.1", port: 0), backlog: 1024),
    onServerRunning: { channel in
        print(channel.localAddress?.port ?? 0)
        fflush(stdout)
    },
    eventLoopGroupProvider: .shared(group),
    logger: {
        var logger = Logger(label: "hummingbird-peer")
        logger.logLevel = .error
        return logger
    }())
// Ends when stdin closes, like the node and Python peers (scripts keep a pipe open).
Thread.detachNewThread {
    while readLine() != nil {}
    exit(0)
}
try await app.run()
