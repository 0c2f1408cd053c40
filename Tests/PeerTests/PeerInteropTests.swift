import Foundation
import Testing
import WebSocketCore

/// The core against independent implementations, outside the gateway: raw zlib, a Python
/// websockets server, a Perl hixie-76 server, and Chromium loading a page.
@Suite(.serialized, .ownThread) struct PeerInteropTests {
    static func messages(seed: UInt64) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        let words = ["bonjour ", "passerelle ", "hixie ", "t\u{e9}l\u{e9} ", "deflate "].map { Array($0.utf8) }
        return [0, 1, 100, 5000, 40000, 0, 300].map { size in
            var message: [UInt8] = []
            while message.count < size {
                message += Bool.random(using: &random) ? words.randomElement(using: &random)! : [UInt8.random(in: 0...255, using: &random)]
            }
            return Array(message.prefix(size))
        }
    }

    /// Deflater → Python zlib inflates, and Python zlib → Inflater, at window bits 9–15, with
    /// and without context takeover.
    @Test(arguments: 9...15, [false, true])
    func rawDeflateInteropWithPythonZlib(windowBits: Int, noContextTakeover: Bool) throws {
        let messages = Self.messages(seed: UInt64(windowBits))
        let deflater = try Deflater(windowBits: windowBits)
        var compressed: [[UInt8]] = []
        for message in messages {
            compressed.append(deflater.compress(message))
            if noContextTakeover { deflater.reset() }
        }
        let hex: ([UInt8]) -> String = { Hex.encode($0, separator: "") }
        let request: [String: Any] = ["windowBits": windowBits, "noContextTakeover": noContextTakeover,
                                      "inflate": compressed.map(hex), "deflate": messages.map(hex)]
        let result = try PeerProcess.run("python3", [PeerProcess.script("zlib_peer.py")],
                                         stdin: try JSONSerialization.data(withJSONObject: request))
        #expect(result.status == 0, "\(result)")
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String]])
        #expect(reply["inflated"] == messages.map(hex), "Python could not inflate Passerelle's output at \(windowBits) bits")
        let inflater = try Inflater(windowBits: windowBits)
        for (index, message) in (reply["deflated"] ?? []).enumerated() {
            let bytes = stride(from: 0, to: message.count, by: 2).map { UInt8(message.dropFirst($0).prefix(2), radix: 16)! }
            var output: [UInt8] = []
            try inflater.inflate(bytes, into: &output, limit: 1 << 20)
            try inflater.finishMessage(into: &output, limit: 1 << 20)
            if noContextTakeover { inflater.reset() }
            #expect(output == messages[index], "message \(index) at \(windowBits) bits")
        }
    }

    /// The core's client side (RFC 6455 + deflate offer) against a Python websockets server,
    /// whose answer limits both windows to 12 bits.
    @Test(arguments: [true, false])
    func clientAgainstPythonWebsocketsServer(offerDeflate: Bool) throws {
        let server = try BackgroundPeer("python3", [PeerProcess.script("python_server.py")])
        let client = try LoopbackClient(port: server.port)
        let configuration = ClientHandshakeConfiguration(
            host: "127.0.0.1:\(server.port)", target: "/", origin: "http://passerelle.test",
            deflateOffers: offerDeflate ? [ClientHandshakeConfiguration.browserDeflateOffer] : [])
        var connection = try client.open(configuration, seed: 3)
        let accepted = try #require(connection.accepted)
        if offerDeflate {
            #expect(accepted.deflate == DeflateAgreement(serverMaxWindowBits: 12, clientMaxWindowBits: 12))
        } else {
            #expect(accepted.deflate == nil)
        }
        let sent: [Message] = [.text("Bonjour"), .text(String(repeating: "passerelle ", count: 3000)), .binary(Array(0...255)), .text("")]
        for message in sent { try client.send(connection.send(message)) }
        let (echoes, _) = try client.receiveMessages(sent.count, on: &connection)
        #expect(echoes == sent)
        let close = try connection.close(code: .normalClosure, reason: "done")
        try client.send(close.outbound)
        let (_, events) = try client.receiveMessages(1, on: &connection)
        #expect(events.contains(.closeReceived(code: .normalClosure, reason: "done")) || events.contains(.closeReceived(code: .normalClosure, reason: "")))
        #expect(connection.state == .closed)
    }

    /// The core's hixie-76 client against Perl Protocol::WebSocket's server.
    @Test func hixie76ClientAgainstPerlServer() throws {
        let server = try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let client = try LoopbackClient(port: server.port)
        var connection = try client.open(ClientHandshakeConfiguration(version: .hixie76, host: "127.0.0.1:\(server.port)",
                                                                       target: "/serveur.php", origin: "null"))
        #expect(connection.version == .hixie76)
        let sent: [Message] = [.text("Salut"), .text("h\u{e9}llo \u{20ac}"), .text("")]
        for message in sent { try client.send(connection.send(message)) }
        let (echoes, _) = try client.receiveMessages(sent.count, on: &connection)
        #expect(echoes == sent)
        try client.send(try connection.close(code: .normalClosure, reason: "").outbound)
        let (_, events) = try client.receiveMessages(1, on: &connection)
        #expect(events == [.closeReceived(code: nil, reason: "")])
    }

    /// Chromium opens the echo endpoint from a file:// page (Origin: null, like the tutorial's
    /// page), negotiates permessage-deflate and gets every echo back.
    @Test func chromiumEchoFromFilePage() throws {
        let gateway = try TestGateway(TestGateway.contextTakeover)
        let page = PeerProcess.scripts.appendingPathComponent("chromium_echo.html").absoluteString + "#" + gateway.url()
        let result = try PeerProcess.run("python3", [PeerProcess.script("chromium_page.py"), page, "--wait-for", "RESULT"], timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains(#"RESULT {"ok":true,"extensions":"permessage-deflate","received":4}"#), "\(result)")
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.version == .rfc6455 && stats.extensions == "permessage-deflate" && stats.messagesIn == 4)
    }
}
