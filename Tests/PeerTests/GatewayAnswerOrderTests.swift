import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Gateway
import Testing
import WebSocketCore

/// The echo answers a ping before any message whose last byte arrived after the ping (RFC 6455
/// §5.4, §5.5.2), over real sockets: everything in one write, split in two at every byte, and a
/// byte per write; on the lent path (no compression, or compression without context) and on the
/// path that keeps each message (a compressor with context).
@Suite(.serialized, .ownThread) struct GatewayAnswerOrderTests {
    enum Seen: Equatable { case pong(String), message(String), close }

    static func configurations() -> [(String, GatewayConfiguration, Bool)] {
        [("plain", GatewayConfiguration(port: 0), false),
         ("deflate without context", GatewayConfiguration(port: 0), true),
         ("deflate with context", TestGateway.contextTakeover, true)]
    }

    /// The client's bytes: a fragmented text with a ping between its fragments, a ping, a text, a close.
    static func stream(_ client: inout ClientSession) throws -> [UInt8] {
        let fragments = try client.send(.text("un, deux, trois"), fragmentSize: 3)
        let first = fragments.count > 9 ? 2 + 4 + 3 : fragments.count
        var bytes = Array(fragments[..<first]) + (try client.ping(Array("p1".utf8))) + Array(fragments[first...])
        bytes += try client.ping(Array("p2".utf8))
        bytes += try client.send(.text("quatre"))
        bytes += try client.close(code: .normalClosure, reason: "").outbound
        return bytes
    }

    static let expected: [Seen] = [.pong("p1"), .message("un, deux, trois"), .pong("p2"), .message("quatre"), .close]

    /// Connects, writes `stream` as `cuts` say (each cut a write, `pause` between them), and
    /// returns what came back in wire order.
    static func exchange(_ gateway: TestGateway, deflate: Bool, cuts: (Int) -> [Range<Int>], pause: TimeInterval) throws -> [Seen] {
        let client = try LoopbackClient(port: gateway.port)
        var connection = try client.open(ClientHandshakeConfiguration(
            host: "127.0.0.1:\(gateway.port)", target: "/echo",
            deflateOffers: deflate ? [ClientHandshakeConfiguration.browserDeflateOffer] : []), seed: 3)
        let bytes = try stream(&connection)
        for range in cuts(bytes.count) {
            try client.send(Array(bytes[range]))
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
        var seen: [Seen] = []
        var input: [UInt8] = []
        while true {
            for event in connection.receive(input).events {
                switch event {
                case .pong(let payload): seen.append(.pong(String(decoding: payload, as: UTF8.self)))
                case .message(.text(let text)): seen.append(.message(text))
                case .closeReceived: seen.append(.close)
                default: break
                }
            }
            if connection.state == .closed { return seen }
            guard let more = try client.receive() else { return seen }
            input = more
        }
    }

    @Test func oneWrite() throws {
        for (name, configuration, deflate) in Self.configurations() {
            let gateway = try TestGateway(configuration)
            let seen = try Self.exchange(gateway, deflate: deflate, cuts: { [0..<$0] }, pause: 0)
            #expect(seen == Self.expected, "\(name)")
        }
    }

    @Test func splitInTwoAtEveryByte() throws {
        for (name, configuration, deflate) in Self.configurations() {
            let gateway = try TestGateway(configuration)
            // The compressed stream is shorter than the plain one: each cut within its own length.
            var plain = ClientSession(configuration: ClientHandshakeConfiguration(host: "h", target: "/echo"), random: SeededRandom(seed: 3))
            var server = ServerSession()
            _ = server.receive(plain.request)
            _ = plain.receive(server.accept().outbound)
            let longest = try Self.stream(&plain).count
            for cut in 1..<longest {
                let seen = try Self.exchange(gateway, deflate: deflate, cuts: { [0..<min(cut, $0), min(cut, $0)..<$0] }, pause: 0.002)
                #expect(seen == Self.expected, "\(name), cut at \(cut)")
            }
        }
    }

    @Test func aByteAtATime() throws {
        for (name, configuration, deflate) in Self.configurations() {
            let gateway = try TestGateway(configuration)
            let seen = try Self.exchange(gateway, deflate: deflate, cuts: { (0..<$0).map { $0..<($0 + 1) } }, pause: 0.001)
            #expect(seen == Self.expected, "\(name)")
        }
    }
}
