import Foundation
import WebSocketCore
#if canImport(Glibc)
import Glibc
#endif

/// An echo server on the core — the same handshake, connection and deflate code as the gateway's
/// `/echo` — with exactly one `Flaw` injected at its edges (the handshake answer, the inbound
/// bytes, or the deflate agreement it builds its connection from). Plain POSIX sockets, one thread
/// per client: the conformance tests need a server that is wrong on purpose, not a fast one.
final class FlawedEchoServer: @unchecked Sendable {
    let flaw: Flaw
    let port: Int
    private let listener: Int32

    init(_ flaw: Flaw) throws {
        self.flaw = flaw
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 64)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Thread.detachNewThread { var session = FlawedEchoSession(flaw: flaw, socket: client); session.run() }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// One client of a `FlawedEchoServer`.
private struct FlawedEchoSession {
    let flaw: Flaw
    let socket: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536)

    init(flaw: Flaw, socket: Int32) {
        self.flaw = flaw
        self.socket = socket
    }

    mutating func run() {
        defer { close(socket) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let accepted = handshake() else { return }
        var connection = assembleConnection(accepted)
        var rewriter = [.acceptsUnmaskedFrames, .skipsUTF8Validation, .acceptsInvalidCloseCodes].contains(flaw)
            && accepted.version.framing == .rfc6455 ? InboundFrameRewriter(flaw: flaw) : nil
        var pending = accepted.leftover
        while true {
            var input = pending
            pending = []
            if input.isEmpty {
                let n = recv(socket, &buffer, buffer.count, 0)
                if n <= 0 { return }
                input = Array(buffer[..<n])
            }
            // The flaw: a read that starts with a length frame (type 0x80–0xFE) ends the connection.
            if flaw == .dropsOnHixieLengthFrame, connection.version.framing == .hixie, let first = input.first, (0x80..<0xFF).contains(first) {
                return
            }
            var output: ConnectionOutput
            do throws(WebSocketError) {
                if rewriter != nil { input = try rewriter!.rewrite(input) }
                output = connection.receive(input)
            } catch {
                output = connection.fail(error)
            }
            var outbound: [UInt8] = []
            var echoes: [UInt8] = []
            output.forEachInOrder(event: { event in
                guard case .message(let message) = event else { return }
                if flaw == .skipsUTF8Validation, rewriter?.nextMessageStartedAsText() == true {
                    guard var frame = try? connection.send(message) else { return }
                    frame[0] = frame[0] & 0xF0 | Opcode.text.rawValue  // the echo goes back as text, unchecked
                    outbound += frame
                } else if let frame = try? connection.send(message) {
                    if flaw == .answersOutOfOrder { echoes += frame } else { outbound += frame }
                }
            }, answer: { answer in
                if flaw == .dropsHixieClosingHandshake, Array(answer) == HixieFrameEncoder.closingHandshake { return }
                outbound += answer
            })
            // The flaw: a read's echoes all go out before the core's answers of that read.
            outbound = echoes + outbound
            if flaw == .sendsAfterClose, output.closeTransport, connection.version != .hixie75 {
                outbound += connection.version == .hixie76 ? [0x00] + Array("late".utf8) + [0xFF] : [0x81, 4] + Array("late".utf8)
            }
            write(outbound)
            if output.closeTransport { return lingeringClose() }
        }
    }

    /// Reads the opening handshake and answers it — wrongly, for the handshake flaws.
    private mutating func handshake() -> AcceptedHandshake? {
        var handshake = ServerHandshake(configuration: ServerHandshakeConfiguration())
        while true {
            let n = recv(socket, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            switch handshake.receive(buffer[..<n]) {
            case .needMoreData:
                continue
            case .accepted(let accepted):
                write(flawedResponse(accepted))
                return accepted
            case .rejected(_, let response):
                write(response)
                return nil
            case .notWebSocket:
                write(Array("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n".utf8))
                return nil
            }
        }
    }

    private func flawedResponse(_ accepted: AcceptedHandshake) -> [UInt8] {
        var response = accepted.response
        switch flaw {
        case .wrongAcceptKey where accepted.version.framing == .rfc6455:
            // The answer for another key, whatever key the client sent.
            let text = String(decoding: response, as: UTF8.self)
            let wrong = AcceptKey.compute(forKey: "AAAAAAAAAAAAAAAAAAAAAA==")
            let fixed = text.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
                line.lowercased().hasPrefix("sec-websocket-accept:") ? "Sec-WebSocket-Accept: \(wrong)" : String(line)
            }
            response = Array(fixed.joined(separator: "\r\n").utf8)
        case .wrongHixieMD5 where accepted.version == .hixie76:
            response[response.count - 1] ^= 0x01
        case .hixieLocationWithoutResource where accepted.version.framing == .hixie:
            response = Self.rewritingHeader("WebSocket-Location", of: response) { location in
                let afterScheme = location.range(of: "://").map { location[$0.upperBound...] } ?? location[...]
                return location.prefix(location.count - afterScheme.count) + (afterScheme.split(separator: "/").first ?? "") + "/"
            }
        case .hixieOriginNotEchoed where accepted.version.framing == .hixie:
            response = Self.rewritingHeader("WebSocket-Origin", of: response) { _ in "http://example.com" }
        default:
            break
        }
        return response
    }

    /// The answer with the value of each header whose name ends with `suffix` (hixie-76's `Sec-`
    /// names too) rewritten; the bytes after the head (hixie-76's MD5 answer) kept as they are.
    private static func rewritingHeader(_ suffix: String, of response: [UInt8], _ rewrite: (String) -> String) -> [UInt8] {
        let end = response.indices.first { Array(response[$0..<min($0 + 4, response.count)]) == Array("\r\n\r\n".utf8) } ?? response.count
        let head = String(decoding: response[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased().hasSuffix(suffix.lowercased()) else { return String(line) }
            return line[..<colon] + ": " + rewrite(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Array(head.joined(separator: "\r\n").utf8) + response[end...]
    }

    /// 4 MiB, not the core's 16: the 64 MiB deflate bomb is refused after 4 MiB of inflation, fast
    /// enough for the case's timeout while seven servers run the suite at once on a busy CI machine.
    private static let limits = ConnectionLimits(maxFrameSize: 4 << 20, maxMessageSize: 4 << 20)

    /// The connection the handshake agreed to, assembled from the core's parts (a session would
    /// not let a deflate flaw build its connection from another agreement than the one answered).
    private func assembleConnection(_ accepted: AcceptedHandshake) -> any WebSocketConnection {
        guard accepted.version.framing == .rfc6455 else {
            return HixieConnection(role: .server, version: accepted.version, limits: Self.limits)
        }
        guard var agreement = accepted.deflate?.agreement else {
            return RFC6455Connection(role: .server, version: accepted.version, limits: Self.limits)
        }
        // The answer already went out as negotiated; a deflate flaw builds its connection from another agreement.
        if flaw == .ignoresServerNoContextTakeover { agreement.serverNoContextTakeover = false }
        if flaw == .assumesClientNoContextTakeover { agreement.clientNoContextTakeover = true }
        if flaw == .ignoresServerMaxWindowBits { agreement.serverMaxWindowBits = 15 }
        let context = DeflateContext(agreement: agreement, role: .server, compressOutbound: accepted.deflate!.compressOutbound)
        return RFC6455Connection(role: .server, version: accepted.version, deflate: context, limits: Self.limits)
    }

    /// RFC 9112 §9.6: FIN first, then read until the client closes (or 2 s), so that a client still
    /// writing a large frame does not get a RST that destroys our close frame before it reads it.
    private mutating func lingeringClose() {
        shutdown(socket, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while recv(socket, &buffer, buffer.count, 0) > 0 {}
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }
}
