import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// `serve --tls-keylog FILE`: every TLS session's secrets, one line each in the NSS key log format
/// (`CLIENT_RANDOM …` for TLS 1.2, `CLIENT_HANDSHAKE_TRAFFIC_SECRET …` and the others for TLS 1.3)
/// that Wireshark, tshark and `passerelle decode` read — what `SSLKEYLOGFILE` gives a browser.
/// Appended (several runs, one file), created readable by its owner only; written from every
/// event loop, so each line goes out whole under a lock.
final class TLSKeyLog: Sendable {
    private let handle: FileHandle
    private let lock = Mutex(())

    init(path: String) throws(GatewayStartError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .tls("--tls-keylog \(path): \(String(cString: strerror(errno)))") }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// NIOSSL's callback: one key log line (with its newline, which is added when missing).
    func write(_ line: ByteBuffer) {
        var data = Data(line.readableBytesView)
        if data.last != 0x0A { data.append(0x0A) }
        lock.withLock { _ in handle.write(data) }
    }
}
