import Foundation
import WebSocketCore
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately broken echo server: a correct RFC 6455 handshake (the core's), then it echoes
/// every frame's payload as a text frame without checking masks, opcodes or UTF-8 — the kind of
/// server the suite must fail.
final class BrokenEchoServer: @unchecked Sendable {
    private let listener: Int32
    let port: Int
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Thread.detachNewThread { Self.serve(client) }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ client: Int32) {
        defer { close(client) }
        var handshake = ServerHandshake(configuration: ServerHandshakeConfiguration(deflate: nil))
        var buffer = [UInt8](repeating: 0, count: 65536)
        var queue = ByteQueue()
        while true {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            switch handshake.receive(buffer[..<n]) {
            case .needMoreData: continue
            case .accepted(let accepted):
                _ = accepted.response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                queue.append(contentsOf: accepted.leftover)
            default: return
            }
            break
        }
        var parser = FrameParser()
        var payload: [UInt8] = []
        var opcode = Opcode.text
        while true {
            while let event = try? parser.next(&queue) {
                switch event {
                case .header(let header): payload = []; opcode = header.opcode
                case .payload(let chunk): payload += chunk
                case .frameEnd:
                    // Close and ping are answered properly; every other frame comes back as text, unchecked.
                    let answer: Opcode = opcode == .close ? .close : opcode == .ping ? .pong : .text
                    let frame = FrameEncoder.frame(opcode: answer, payload: payload)
                    _ = frame.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if opcode == .close { return }
                }
            }
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            queue.append(contentsOf: buffer[..<n])
        }
    }
}
