import Foundation
import Gateway
import Testing
import WebSocketCore

/// The connection limits: past the total the server answers 503, past the per-address limit 429
/// (both with Retry-After), a freed slot is usable again, and the server keeps serving throughout.
@Suite(.ownThread) struct GatewayConnectionLimitTests {
    static func answer(_ port: Int) throws -> String {
        let client = try LoopbackClient(port: port)
        try client.send(Array("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        var text = ""
        while !text.contains("\r\n\r\n"), let bytes = try client.receive() { text += String(decoding: bytes, as: UTF8.self) }
        return text
    }

    static func open(_ count: Int, _ gateway: TestGateway) throws -> [LoopbackClient] {
        try (0..<count).map { _ in
            let client = try LoopbackClient(port: gateway.port)
            _ = try client.open(ClientHandshakeConfiguration(host: "x", target: "/echo"))
            return client
        }
    }

    @Test func pastTheTotalLimitNewConnectionsGet503() throws {
        var configuration = GatewayConfiguration(port: 0)
        configuration.maxConnections = 3
        let gateway = try TestGateway(configuration)
        var held = try Self.open(3, gateway)
        let refused = try Self.answer(gateway.port)
        #expect(refused.hasPrefix("HTTP/1.1 503 ") && refused.contains("Retry-After: 5"), "\(refused)")
        held.removeLast()  // one leaves: its slot is free again once the gateway has seen it go
        _ = gateway.closedConnections(atLeast: 2)   // the refused one, then the one that left
        #expect(try Self.answer(gateway.port).hasPrefix("HTTP/1.1 101 "))
        _ = held
    }

    @Test func pastThePerAddressLimitNewConnectionsGet429() throws {
        var configuration = GatewayConfiguration(port: 0)
        configuration.maxConnectionsPerAddress = 2
        let gateway = try TestGateway(configuration)
        var held = try Self.open(2, gateway)
        let refused = try Self.answer(gateway.port)
        #expect(refused.hasPrefix("HTTP/1.1 429 ") && refused.contains("too many connections from this address (limit 2)"), "\(refused)")
        held.removeLast()
        _ = gateway.closedConnections(atLeast: 2)   // the refused one, then the one that left
        #expect(try Self.answer(gateway.port).hasPrefix("HTTP/1.1 101 "))
        _ = held
    }

    /// Under a descriptor limit smaller than --max-connections the gateway says, at start, how many
    /// connections it can take and what happens past that (EMFILE survival itself:
    /// `GatewayLifecycleTests.fileDescriptorExhaustionIsSurvivedAndAcceptingResumes`); and a fleet
    /// of that size joins and gets a line.
    @Test func aLowDescriptorLimitIsSaid() throws {
        let port = try PeerProcess.freePort()
        let binary = GatewayLifecycleTests.binary.path
        // ulimit -n sets the hard limit too: the gateway cannot raise it.
        let server = try PeerProcess.start("sh", ["-c", "ulimit -n 300; exec '\(binary)' serve --port \(port) --log-level info --max-connections 5000 --max-connections-per-address 5000"])
        let capacity = 300 - DescriptorLimit.reserve
        let deadline = Date().addingTimeInterval(20)
        while !server.errorSoFar.contains("listening") && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(server.errorSoFar.contains("connections: at most \(capacity) at once"), "\(server.errorSoFar)")
        #expect(server.errorSoFar.contains("file-descriptor limit below --max-connections")
                && server.errorSoFar.contains("wait in the kernel's backlog"))
        let fanout = try PeerProcess.run(binary, ["bench", "fanout", "ws://127.0.0.1:\(port)/chat", "--members", "\(capacity)",
                                                  "--mix", "fleet", "--concurrency", "50", "--send", "--json"], timeout: 120)
        kill(server.process.processIdentifier, SIGTERM)
        _ = server.finish(timeout: 10)
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(fanout.stdout.utf8)) as? [String: Any], "\(fanout)")
        #expect(figures["open"] as? Int == capacity && figures["received"] as? Int == capacity, "\(figures)")
        #expect(fanout.status == 0)
    }
}
