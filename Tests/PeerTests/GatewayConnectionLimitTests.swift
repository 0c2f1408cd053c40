import Foundation
import Gateway
import Testing
import WebSocketCore

/// The connection limits: past the total the server answers 503, past the per-address limit 429
/// (both with Retry-After), a freed slot is usable again, and the server keeps serving throughout.
@Suite struct GatewayConnectionLimitTests {
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
}
