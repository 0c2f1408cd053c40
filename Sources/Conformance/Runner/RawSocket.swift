import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket for the conformance runner (connected, or accepted by `ConformanceServer`): writes exactly the bytes it is given
/// (in pieces when asked), reads with a deadline. Shell code; the protocol stays in the core.
final class RawSocket {
    private let descriptor: Int32
    private(set) var closedByPeer = false

    convenience init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw ConformanceError.badTarget("cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        var chosen: Int32 = -1
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 && connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { chosen = fd; break }
            if fd >= 0 { close(fd) }
            candidate = info.pointee.ai_next
        }
        guard chosen >= 0 else { throw ConformanceError.badTarget("cannot connect to \(host):\(port)") }
        self.init(descriptor: chosen)
    }

    /// Wraps a connected socket (one a listener accepted); closed when this object goes.
    init(descriptor: Int32) {
        self.descriptor = descriptor
        var slice = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &slice, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    /// Writes `bytes`, in pieces of `chop` bytes with a short pause between them when given.
    func write(_ bytes: [UInt8], chop: Int? = nil) throws {
        let piece = max(1, chop ?? bytes.count)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + piece, bytes.count)
            var sent = offset
            while sent < end {
                let n = bytes[sent..<end].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw ConformanceError.badTarget("write failed: the peer closed the connection") }
                sent += n
            }
            offset = end
            if chop != nil && offset < bytes.count { usleep(1000) }
        }
    }

    /// Bytes read before `deadline`; empty when nothing came in time; nil once the peer closed.
    func read(until deadline: Date) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n > 0 { return Array(buffer[..<n]) }
            if n == 0 { closedByPeer = true; return nil }
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { closedByPeer = true; return nil }
        }
        return []
    }
}
