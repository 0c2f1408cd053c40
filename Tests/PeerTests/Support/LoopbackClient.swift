import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WebSocketCore

/// A blocking TCP client on loopback, driving the core's client side: test code only.
final class LoopbackClient {
    private let socket: Int32
    private var isClosed = false

    init(port: Int, receiveTimeout: Int = 10) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PeerError("socket() failed") }
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Each `send` leaves as its own segment: tests that cut a stream into writes mean those cuts.
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            // Closed here, so not again in deinit — which runs when a class's init throws after
            // every property is set: the second close hit whatever descriptor had been reused in
            // between (a SwiftNIO socket of a test running alongside, which then crashed on EBADF).
            close(socket)
            isClosed = true
            throw PeerError("connect to \(port) failed")
        }
    }

    deinit { if !isClosed { close(socket) } }

    /// Vanishes the rude way: SO_LINGER 0 makes close() send a RST instead of a FIN.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(socket)
        isClosed = true
    }

    /// Sends a FIN (no more bytes from this side) and keeps reading.
    func finishSending() { shutdown(socket, Int32(SHUT_WR)) }

    /// A small receive buffer, so a client that stops reading backs up the server quickly.
    func shrinkReceiveBuffer(_ bytes: Int32 = 4096) {
        var size = bytes
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Events the session reported while it opened (frames right behind the server's answer):
    /// the next `receiveMessages` or `receiveAvailable` hands them out first.
    private var pendingEvents: [ConnectionEvent] = []

    /// Drains whatever is readable now without blocking, answering what the core answers (pongs).
    func receiveAvailable(on session: inout ClientSession) throws -> [ConnectionEvent] {
        var events = pendingEvents
        pendingEvents = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n > 0 else { return events }
            let output = session.receive(buffer[..<n])
            if !output.outbound.isEmpty { try? send(output.outbound) }
            events += output.events
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw PeerError("send failed") }
            offset += n
        }
    }

    /// Some bytes, or nil at end of stream; throws on timeout.
    func receive() throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if n == 0 { return nil }
        guard n > 0 else { throw PeerError("receive timed out or failed (errno \(errno))") }
        return Array(buffer[..<n])
    }

    /// Runs the opening handshake with the core's client session; returns it open.
    func open(_ configuration: ClientHandshakeConfiguration, seed: UInt64 = 7) throws -> ClientSession {
        var session = ClientSession(configuration: configuration, random: SeededRandom(seed: seed))
        try send(session.request)
        while let bytes = try receive() {
            let output = session.receive(bytes)
            switch output.handshake {
            case nil: continue
            case .opened?:
                if !output.outbound.isEmpty { try? send(output.outbound) }
                pendingEvents += output.events
                return session
            case .failed(let error, _)?: throw PeerError("handshake rejected: \(error.reason)")
            case .request?, .plainHTTP?: throw PeerError("a server's event on the client side")
            }
        }
        throw PeerError("connection closed during the handshake")
    }

    /// Reads until `count` messages arrived; returns them with every other event seen.
    func receiveMessages(_ count: Int, on session: inout ClientSession) throws -> (messages: [Message], events: [ConnectionEvent]) {
        var messages: [Message] = []
        var events: [ConnectionEvent] = []
        func note(_ seen: some Sequence<ConnectionEvent>) {
            for event in seen {
                if case .message(let message) = event { messages.append(message) } else { events.append(event) }
            }
        }
        note(pendingEvents)
        pendingEvents = []
        while messages.count < count && session.state != .closed {
            guard let bytes = try receive() else { return (messages, events) }
            let output = session.receive(bytes)
            // The reply (a pong, our half of the close) may meet a peer that already closed TCP.
            if !output.outbound.isEmpty { try? send(output.outbound) }
            note(output.events)
        }
        return (messages, events)
    }
}
