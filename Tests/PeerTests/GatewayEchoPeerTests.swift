import Foundation
import Testing
import WebSocketCore

/// The gateway's answers, checked by independently written peers over loopback.
@Suite(.serialized, .ownThread) struct GatewayEchoPeerTests {
    @Test func perlHixie76ClientCompletesHandshakeEchoAndClosingHandshake() throws {
        let gateway = try TestGateway()
        let messages = ["Salut", "h\u{e9}llo \u{20ac}", #"{"action":"ctrl/chat/out", "msg":"{\"from\":\"Tom\", \"message\":\"Bonsoir\"}"}"#, ""]
        let result = try PeerProcess.run("perl", [PeerProcess.script("hixie76_client.pl"), gateway.url()] + messages)
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["handshake: ok", "location: \(gateway.url())"] + messages.map { "message: \($0)" } + ["closing-handshake: ok"],
                "\(result)")
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.version == .hixie76)
        #expect(stats.peer.contains("127.0.0.1:"), "the report names the peer (described when it ends): \(stats.peer)")
        #expect(stats.messagesIn == messages.count && stats.messagesOut == messages.count)
        #expect(stats.failure == nil)
    }

    /// 0 B to 16 MiB (the default message limit), text and binary, compressed both ways.
    @Test func pythonWebsocketsEchoWithDeflateUpTo16MiB() throws {
        let gateway = try TestGateway(TestGateway.contextTakeover)
        let result = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(),
                                                     "--sizes", "0,1,125,126,65535,65536,1048576"], timeout: 120)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains(#""answer": "permessage-deflate""#), "\(result)")
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.extensions == "permessage-deflate")
        #expect(stats.messagesIn == 14 && stats.messagesOut == 14)
        #expect(stats.closeCode == .normalClosure)
        let large = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(), "--sizes", "16777216"], timeout: 180)
        #expect(large.status == 0, "\(large)")
    }

    @Test func pythonWebsocketsEchoWithoutDeflate() throws {
        let gateway = try TestGateway(TestGateway.contextTakeover)
        let result = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(), "--no-deflate",
                                                     "--sizes", "0,1,125,126,65535,65536,1048576,16777216"], timeout: 180)
        #expect(result.status == 0, "\(result)")
        let stats = try #require(gateway.closedConnections(atLeast: 1).first)
        #expect(stats.extensions == nil)
        #expect(stats.version == .rfc6455)
        #expect(stats.peer.contains("127.0.0.1:"), "\(stats.peer)")
    }

    /// Window bits 9–15 both ways, with and without context takeover: Python compresses and the
    /// gateway inflates, the gateway compresses and Python inflates, over several messages.
    @Test func deflateMatrixWithPythonWebsockets() throws {
        let gateway = try TestGateway(TestGateway.contextTakeover)
        let result = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(), "--matrix",
                                                     "--sizes", "0,10,1000,70000"], timeout: 120)
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.count == 14, "\(result)")
        let stats = gateway.closedConnections(atLeast: 14)
        #expect(stats.count == 14)
        for bits in 9...15 {
            for noContext in [false, true] {
                var expected = "permessage-deflate"
                if noContext { expected += "; server_no_context_takeover; client_no_context_takeover" }
                expected += "; server_max_window_bits=\(bits); client_max_window_bits=\(bits)"
                #expect(stats.contains { $0.extensions == expected && $0.messagesIn == 8 && $0.failure == nil }, "no clean connection with \(expected)")
            }
        }
    }
}
