import Foundation
import Gateway
import Logging
import WebSocketCore

/// The real gateway, started in-process on an ephemeral loopback port, recording what each
/// connection did.
final class TestGateway: @unchecked Sendable {
    let server: GatewayServer
    private let closed = Locked<[ConnectionStatistics]>([])

    init(_ configuration: GatewayConfiguration = GatewayConfiguration(port: 0)) throws {
        var configuration = configuration
        configuration.port = 0
        var logger = Logger(label: "test-gateway")
        logger.logLevel = .warning
        let closed = self.closed
        server = try GatewayServer.start(configuration: configuration, logger: logger, threads: 1) { statistics in
            closed.mutate { $0.append(statistics) }
        }
    }

    deinit { try? server.shutdown() }

    /// permessage-deflate with a compressor that keeps its context per connection (the default
    /// answers server_no_context_takeover): the interop echo tests cover both paths.
    static var contextTakeover: GatewayConfiguration {
        var configuration = GatewayConfiguration(port: 0)
        configuration.handshake.deflate = DeflateConfiguration()
        return configuration
    }

    var port: Int { server.port }
    func url(_ path: String = "/echo") -> String { "ws://127.0.0.1:\(port)\(path)" }

    /// Statistics of the connections closed so far, waiting up to `timeout` for `count` of them.
    func closedConnections(atLeast count: Int, timeout: TimeInterval = 10) -> [ConnectionStatistics] {
        let deadline = Date().addingTimeInterval(timeout)
        while closed.get().count < count && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return closed.get().sorted { $0.id < $1.id }
    }
}
