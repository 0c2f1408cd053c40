import Bridge
import Logging
import NIOCore
import WebSocketCore

/// The lines one connection logs, each with the same keys wherever it is written (`id`, `peer`,
/// then what the line is about): what an operator greps for. Made when a line is logged, not
/// stored (a `Logger` is 56 bytes): metadata is only built when the level is on.
struct ConnectionLog {
    let logger: Logger
    let id: Int
    let peerAddress: SocketAddress?

    var peer: String { peerAddress?.description ?? "?" }

    /// Refused before or at its handshake by the gateway's own policy (connection limits, a
    /// route's refusal, a backend's failure).
    func refused(_ refusal: GatewayError) {
        logger.warning("connection refused", metadata: ["id": "\(id)", "peer": "\(peer)", "reason": "\(refusal.reason)"])
    }

    func handshakeRefused(_ error: WebSocketError) {
        logger.info("handshake refused", metadata: ["id": "\(id)", "peer": "\(peer)", "status": "\(error.httpStatus ?? 0)", "reason": "\(error.reason)"])
    }

    func handshakeTimedOut(awaitingKey3: Bool) {
        logger.info("handshake timed out", metadata: ["id": "\(id)", "peer": "\(peer)", "awaitingKey3": "\(awaitingKey3)"])
    }

    func opened(_ statistics: ConnectionStatistics) {
        logger.info("connection opened", metadata: [
            "id": "\(id)", "peer": "\(peer)", "path": "\(statistics.path)", "version": "\(statistics.version?.rawValue ?? "-")",
            "extensions": "\(statistics.extensions ?? "-")", "subprotocol": "\(statistics.subprotocol ?? "-")",
        ])
    }

    func bridgeOpened(_ statistics: ConnectionStatistics, route: String, upstream: RouteTarget, backend: ProtocolVersion) {
        logger.info("bridge opened", metadata: [
            "id": "\(id)", "peer": "\(peer)", "route": "\(route)", "upstream": "\(upstream)",
            "client": "\(statistics.version?.rawValue ?? "-")", "backend": "\(backend.rawValue)",
            "extensions": "\(statistics.extensions ?? "-")", "subprotocol": "\(statistics.subprotocol ?? "-")",
        ])
    }

    func upstreamFailed(_ failure: UpstreamFailure, route: String, upstream: RouteTarget) {
        logger.warning("upstream failed", metadata: [
            "id": "\(id)", "peer": "\(peer)", "route": "\(route)", "upstream": "\(upstream)",
            "status": "\(failure.downstreamStatus)", "reason": "\(failure.reason)",
        ])
    }

    /// The peer broke a protocol rule (RFC 6455 §7.1.7): the close code it was sent.
    func failed(_ error: WebSocketError) {
        logger.info("connection failed", metadata: ["id": "\(id)", "reason": "\(error.reason)", "close": "\(error.closeCode?.rawValue ?? 0)"])
    }

    /// `--log-payloads`: a message's first 200 bytes.
    func payload(_ bytes: UnsafeRawBufferPointer) {
        logger.info("message", metadata: ["id": "\(id)", "bytes": "\(bytes.count)",
                                          "body": "\(String(decoding: bytes.prefix(200), as: UTF8.self))"])
    }

    func notSent(_ error: WebSocketError) {
        logger.debug("message not sent", metadata: ["id": "\(id)", "reason": "\(error.reason)"])
    }

    /// `serve --record`: the connection's file could not be made; it is served unrecorded.
    func notRecorded(directory: String) {
        logger.warning("cannot record connection", metadata: ["id": "\(id)", "directory": "\(directory)"])
    }

    func transportError(_ error: Error) {
        logger.debug("transport error", metadata: ["id": "\(id)", "error": "\(error)"])
    }

    func closing(code: CloseCode?, reason: String) {
        logger.debug("closing", metadata: ["id": "\(id)", "code": "\(code.map { String($0.rawValue) } ?? "none")", "reason": "\(reason)"])
    }

    func idleTimeout(silentSeconds: Double) {
        logger.info("idle timeout", metadata: ["id": "\(id)", "silentSeconds": "\(Int(silentSeconds))"])
    }

    func slowConsumer(queuedBytes: Int, limit: Int) {
        logger.warning("slow consumer closed", metadata: ["id": "\(id)", "peer": "\(peer)", "queued": "\(queuedBytes)", "limit": "\(limit)"])
    }

    /// The line every connection ends with: what it was, how it ended, what it carried.
    func closed(_ statistics: ConnectionStatistics) {
        logger.info("connection closed", metadata: [
            "id": "\(id)", "peer": "\(peer)", "path": "\(statistics.path)",
            "version": "\(statistics.version?.rawValue ?? "-")", "extensions": "\(statistics.extensions ?? "-")",
            "subprotocol": "\(statistics.subprotocol ?? "-")",
            "close": "\(statistics.closeCode.map { String($0.rawValue) } ?? "-")",
            "failure": "\(statistics.failure?.identifier ?? statistics.refusal?.identifier ?? "-")",
            "in": "\(statistics.messagesIn) msgs/\(statistics.bytesIn) B", "out": "\(statistics.messagesOut) msgs/\(statistics.bytesOut) B",
        ])
    }
}
