import Foundation
import Testing
import Gateway

/// `passerelle client`, the binary, against the gateway in every version and against servers
/// written by others: node ws and Python websockets (RFC 6455, with and without deflate), faye
/// (hixie-76 and hixie-75); what it prints, and its exit status for each way a connection ends.
@Suite(.ownThread) struct ClientCommandPeerTests {
    static func client(_ arguments: [String], input: String = "") throws -> PeerProcess.Result {
        try PeerProcess.run(GatewayLifecycleTests.binary.path, ["client"] + arguments, stdin: Data(input.utf8), timeout: 30)
    }

    static let lines = ["Bonjour", "{\"action\":\"ctrl/chat/out\",\"message\":\"été\"}"]
    static var input: String { lines.joined(separator: "\n") + "\n" }

    @Test(arguments: ["13", "8", "7", "hixie-76", "hixie-75"])
    func everyVersionAgainstTheGateway(version: String) throws {
        let gateway = try TestGateway()
        let run = try Self.client(["ws://127.0.0.1:\(gateway.port)/echo", "--protocol", version, "--origin", "http://127.0.0.1"],
                                  input: Self.input)
        #expect(run.lines == Self.lines, "\(run)")
        #expect(run.status == 0, "\(run)")
    }

    @Test(arguments: ["node", "python"], [false, true])
    func rfc6455Servers(server: String, deflate: Bool) throws {
        let peer = server == "python" ? try BackgroundPeer("python3", [PeerProcess.benchServer("python_websockets_echo.py")])
                                      : try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.benchServer("node_ws_echo.js")])
        let run = try Self.client(["ws://127.0.0.1:\(peer.port)/", "--show-frames"] + (deflate ? ["--deflate"] : []), input: Self.input)
        #expect(run.lines == Self.lines, "\(run)")
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("permessage-deflate") == deflate, "\(run.stderr)")
        // Every frame both ways, as the decoder prints them: the close sent and its answer.
        #expect(run.stderr.contains("C→S  CLOSE  1000") && run.stderr.contains("S→C  CLOSE  1000"), "\(run.stderr)")
        #expect(run.stderr.contains("0 violations"), "\(run.stderr)")
    }

    @Test(arguments: ["hixie-76", "hixie-75"])
    func fayeHixieServers(version: String) throws {
        let faye = try BackgroundPeer("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("faye_echo_server.js")])
        let run = try Self.client(["ws://127.0.0.1:\(faye.port)/", "--protocol", version, "--origin", "http://127.0.0.1", "--show-frames"], input: Self.input)
        #expect(run.lines == Self.lines, "\(run)")
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("S→C  TEXT"), "\(run.stderr)")
    }

    /// The exit status says how the connection ended: 0 normal (also the code --close sent,
    /// echoed), 1 another code, 2 no closing handshake, 3 refused, 4 unreachable, 64 bad arguments.
    @Test func exitStatusSaysHowItEnded() throws {
        let backend = try BackgroundPeer("python3", [PeerProcess.script("python_bridge_backend.py")])
        let url = "ws://127.0.0.1:\(backend.port)/"
        let echoed = try Self.client([url, "--close", "4000", "au revoir", "--wait", "0"], input: "Bonjour\n")
        #expect(echoed.status == 0 && echoed.stderr.contains("closed: 4000"), "\(echoed)")
        let closedWithError = try Self.client([url, "--wait", "5"], input: "close:4001:pas content\n")
        #expect(closedWithError.status == 1 && closedWithError.stderr.contains("closed: 4001 pas content"), "\(closedWithError)")
        let dropped = try Self.client([url, "--wait", "5"], input: "drop\n")
        #expect(dropped.status == 2, "\(dropped)")
        let gateway = try TestGateway()
        let refused = try Self.client(["ws://127.0.0.1:\(gateway.port)/nowhere"])
        #expect(refused.status == 3 && refused.stderr.contains("HTTP 404"), "\(refused)")
        let unreachable = try Self.client(["ws://127.0.0.1:\(try PeerProcess.freePort())/"])
        #expect(unreachable.status == 4 && unreachable.stderr.contains("cannot connect"), "\(unreachable)")
        for arguments in [["ftp://x/"], [url, "--close", "1005"], [url, "--protocol", "9"], [url, "--header", "no colon"]] {
            let usage = try Self.client(arguments)
            #expect(usage.status == 64, "\(arguments): \(usage)")
        }
    }

    @Test func binaryHexPingAndTLS() throws {
        let gateway = try TestCertificate.gateway()
        let url = "wss://127.0.0.1:\(gateway.port)/echo"
        let run = try Self.client([url, "--ca", TestCertificate.files.certificate, "--binary-hex", "--ping", "--deflate"],
                                  input: "48 65 6c 6c 6f\nnot hex\n")
        #expect(run.lines == ["48656c6c6f"], "\(run)")
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("pong") && run.stderr.contains("not sent, not hex: not hex"), "\(run.stderr)")
        let untrusted = try Self.client([url], input: "Bonjour\n")
        #expect(untrusted.status == 4 && untrusted.lines.isEmpty, "without --ca the self-signed certificate is refused: \(untrusted)")
        let insecure = try Self.client([url, "--insecure"], input: "Bonjour\n")
        #expect(insecure.lines == ["Bonjour"] && insecure.status == 0, "\(insecure)")
    }
}
