import Bridge
@testable import Gateway
import Logging
import NIOCore
import Synchronization
import Testing
import WebSocketCore

/// The lines a connection logs carry the keys an operator greps for, with the connection's
/// figures; and the statistics they report keep the first known cause of a connection's end.
@Suite struct ConnectionLogTests {
    /// Every line logged through it: level, message, metadata.
    final class Captured: @unchecked Sendable {
        struct Line { var level: Logger.Level; var message: String; var metadata: [String: String] }
        let lines = Mutex<[Line]>([])

        var logger: Logger {
            var logger = Logger(label: "test") { _ in Handler(captured: self) }
            logger.logLevel = .trace
            return logger
        }

        struct Handler: LogHandler {
            let captured: Captured
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                let line = Line(level: event.level, message: "\(event.message)",
                                metadata: (event.metadata ?? [:]).mapValues { "\($0)" })
                captured.lines.withLock { $0.append(line) }
            }
        }
    }

    static let peer = try! SocketAddress(ipAddress: "192.0.2.7", port: 50_000)

    @Test func theClosingLineSaysWhatTheConnectionWasAndHowItEnded() {
        let captured = Captured()
        var statistics = ConnectionStatistics(id: 42, peer: "?")
        statistics.path = "/serveur.php"
        statistics.version = .hixie76
        statistics.messagesIn = 3
        statistics.bytesIn = 120
        statistics.messagesOut = 5
        statistics.bytesOut = 300
        statistics.note(.failed(.invalidUTF8))
        ConnectionLog(logger: captured.logger, id: 42, peerAddress: Self.peer).closed(statistics)
        let line = captured.lines.withLock { $0 }.first
        #expect(line?.level == .info && line?.message == "connection closed")
        #expect(line?.metadata["id"] == "42" && line?.metadata["peer"] == Self.peer.description)
        #expect(line?.metadata["path"] == "/serveur.php" && line?.metadata["version"] == "hixie-76")
        #expect(line?.metadata["close"] == "1007" && line?.metadata["failure"] == WebSocketError.invalidUTF8.identifier)
        #expect(line?.metadata["in"] == "3 msgs/120 B" && line?.metadata["out"] == "5 msgs/300 B")
        #expect(line?.metadata["extensions"] == "-" && line?.metadata["subprotocol"] == "-")
    }

    @Test func refusalsAndFailuresNameTheirReasonAndCode() {
        let captured = Captured()
        let log = ConnectionLog(logger: captured.logger, id: 7, peerAddress: nil)
        log.refused(.serverFull(limit: 10))
        log.handshakeRefused(.unsupportedVersion("9"))
        log.failed(.invalidUTF8)
        log.slowConsumer(queuedBytes: 5_000, limit: 4_096)
        let lines = captured.lines.withLock { $0 }
        #expect(lines.map(\.message) == ["connection refused", "handshake refused", "connection failed", "slow consumer closed"])
        #expect(lines[0].level == .warning && lines[0].metadata["reason"] == GatewayError.serverFull(limit: 10).reason && lines[0].metadata["peer"] == "?")
        #expect(lines[1].metadata["status"] == "426")
        #expect(lines[2].metadata["close"] == "1007")
        #expect(lines[3].metadata["queued"] == "5000" && lines[3].metadata["limit"] == "4096")
    }

    @Test func theFirstKnownCauseOfAnEndIsKept() {
        var failed = ConnectionStatistics(id: 1, peer: "?")
        failed.note(.message(.text("un")))
        failed.note(.failed(.invalidUTF8))
        failed.note(.transportEnded(.abnormalClosure))
        #expect(failed.messagesIn == 1 && failed.closeCode == .invalidPayloadData, "the failure's 1007, not the 1006 that followed")

        var closed = ConnectionStatistics(id: 2, peer: "?")
        closed.note(.closeReceived(code: nil, reason: ""))
        closed.note(.transportEnded(.abnormalClosure))
        #expect(closed.closeCode == .noStatusReceived, "RFC 6455 §7.1.5: a close frame without a code is 1005")

        var dropped = ConnectionStatistics(id: 3, peer: "?")
        dropped.note(.ping([1]))
        dropped.note(.transportEnded(.abnormalClosure))
        #expect(dropped.closeCode == .abnormalClosure && dropped.messagesIn == 0)

        var refused = ConnectionStatistics(id: 4, peer: "?")
        refused.refusal = .serverFull(limit: 1)
        refused.note(.transportEnded(.normalClosure))
        #expect(refused.closeCode == nil, "a refusal is the cause")
    }
}
