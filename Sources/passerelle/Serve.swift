import ArgumentParser
import Foundation
import Gateway
import Logging
import WebSocketCore

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (embedded defaults, no external service).")

    @Option(help: "Address to listen on (env PASSERELLE_HOST).")
    var host: String = ProcessInfo.processInfo.environment["PASSERELLE_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on; 11345 is the tutorial's (env PASSERELLE_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["PASSERELLE_PORT"] ?? "") ?? 11345

    @Option(help: "Largest frame payload accepted, in bytes (1009 beyond).")
    var maxFrameSize: Int = ConnectionLimits().maxFrameSize

    @Option(help: "Largest message accepted after inflation, in bytes (1009 beyond).")
    var maxMessageSize: Int = ConnectionLimits().maxMessageSize

    @Option(help: "Largest HTTP handshake head, in bytes (431 beyond).")
    var maxHeadBytes: Int = HTTPHeadLimits().maxHeadBytes

    @Option(help: "Seconds a client has to complete its handshake, hixie-76 key3 included (408 beyond).")
    var handshakeTimeout: Double = 10

    @Flag(help: "Never negotiate permessage-deflate.")
    var noDeflate = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        guard maxFrameSize > 0, maxMessageSize > 0, maxHeadBytes >= 256 else {
            throw ValidationError("limits must be positive (--max-head-bytes at least 256)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "passerelle")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var handshake = ServerHandshakeConfiguration()
        handshake.headLimits.maxHeadBytes = maxHeadBytes
        if noDeflate { handshake.deflate = nil }
        let configuration = GatewayConfiguration(
            host: host, port: port, handshake: handshake,
            limits: ConnectionLimits(maxFrameSize: maxFrameSize, maxMessageSize: maxMessageSize),
            handshakeTimeoutSeconds: handshakeTimeout)
        let server: GatewayServer
        do {
            server = try GatewayServer.start(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError("cannot listen on \(host):\(port): \(error)")
        }
        logger.notice("listening", metadata: ["address": "ws://\(host):\(server.port)", "endpoints": "\(configuration.routes.keys.sorted())"])
        try server.waitUntilClosed()
    }
}
