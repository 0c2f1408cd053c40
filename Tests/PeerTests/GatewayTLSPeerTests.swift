import Foundation
import Testing
import Gateway
import WebSocketCore

/// A self-signed certificate for 127.0.0.1 made by the `openssl` command (an independent tool),
/// once per test run.
enum TestCertificate {
    struct Files: Sendable {
        var certificate: String
        var key: String
    }

    static let files: Files = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-tls-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = Files(certificate: directory.appendingPathComponent("cert.pem").path, key: directory.appendingPathComponent("key.pem").path)
        let result = try? PeerProcess.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key,
                                                     "-out", files.certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                                                     "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        precondition(result?.status == 0, "openssl could not make a test certificate: \(String(describing: result))")
        return files
    }()

    /// Peers trust the certificate through `SSL_CERT_FILE` (OpenSSL's own variable, read by Python's
    /// default context; the Perl client passes it to IO::Socket::SSL).
    static var trust: [String: String] { ["SSL_CERT_FILE": files.certificate] }

    static func gateway(minimumVersion: TLSSettings.Version = .tls12) throws -> TestGateway {
        var configuration = GatewayConfiguration(port: 0)
        configuration.tls = TLSSettings(certificateChainPath: files.certificate, privateKeyPath: files.key, minimumVersion: minimumVersion)
        return try TestGateway(configuration)
    }
}

/// `wss://` through swift-nio-ssl, with every version and the page over `https://`.
@Suite(.serialized, .ownThread) struct GatewayTLSPeerTests {
    @Test func pythonDeflateEchoOverTLS() throws {
        let gateway = try TestCertificate.gateway()
        let url = "wss://127.0.0.1:\(gateway.port)/echo"
        let result = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), url, "--sizes", "0,125,65536,300000"],
                                         environment: TestCertificate.trust)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains(#""answer": "permessage-deflate"#), "\(result)")
    }

    @Test func hixie76OverTLSAnswersWithAWssLocation() throws {
        let gateway = try TestCertificate.gateway()
        let url = "wss://127.0.0.1:\(gateway.port)/echo"
        let result = try PeerProcess.run("perl", [PeerProcess.script("hixie76_client.pl"), url, "bonjour", "t\u{e9}l\u{e9} de 2010"],
                                         environment: TestCertificate.trust)
        #expect(result.status == 0, "\(result)")
        // draft-hixie-76 §5.2: the location names the scheme the client used.
        #expect(result.lines.contains("location: \(url)"), "\(result)")
        #expect(result.lines.contains("message: t\u{e9}l\u{e9} de 2010"))
        #expect(result.lines.last == "closing-handshake: ok")
    }

    /// The tutorial's room over TLS: the page served over https:// connects with wss:// by itself,
    /// and meets a hixie-76 TV and a deflate client.
    @Test func roomOverTLSWithChromiumHixie76AndDeflate() throws {
        let gateway = try TestCertificate.gateway()
        let said: [String: [String]] = [
            "TV": ["bonsoir en wss", "hixie-76 chiffr\u{e9}"],
            "Python": ["deflate et TLS"],
            "Chromium": ["page en https"],
        ]
        let total = said.values.map(\.count).reduce(0, +)
        let chromium = try RoomPeerTests.startChromium("https://127.0.0.1:\(gateway.port)", pseudo: "Chromium", members: 3, total: total,
                                                       saying: said["Chromium"]!, insecure: true)
        let room = "wss://127.0.0.1:\(gateway.port)/serveur.php"
        let tv = try PeerProcess.start("perl", [PeerProcess.script("hixie76_client.pl"), room, "--expect", "\(total)", "--wait-stdin"]
                                       + said["TV"]!.map { RoomPeerTests.tutorialFrame("TV", $0) }, environment: TestCertificate.trust)
        let python = try PeerProcess.start("python3", [PeerProcess.script("python_room_client.py"), room, "Python", "\(total)"] + said["Python"]!,
                                           environment: TestCertificate.trust)
        let deadline = Date().addingTimeInterval(30)
        while try gateway.server.roomMemberCount() < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try gateway.server.roomMemberCount() == 3)
        for peer in [tv, python] { peer.send("go") }

        let results = ["TV": tv.finish(), "Python": python.finish(), "Chromium": chromium.finish()]
        for (name, result) in results { #expect(result.status == 0, "\(name): \(result)") }
        var seen: [String: [RoomPeerTests.Line]] = [:]
        for name in ["TV", "Python"] { seen[name] = try RoomPeerTests.lines(fromFrames: results[name]!.lines) }
        seen["Chromium"] = try RoomPeerTests.chromiumLines(results["Chromium"]!)
        let reference = try #require(seen["TV"])
        #expect(reference.count == total)
        for (name, lines) in seen { #expect(lines == reference, "\(name) saw another order") }
        let stats = gateway.closedConnections(atLeast: 3).filter { $0.version != nil }
        #expect(Set(stats.compactMap(\.version)) == [.hixie76, .rfc6455])
    }

    /// Plain HTTP or plain WebSocket bytes on the TLS port are not a handshake: the connection is
    /// dropped, and the gateway keeps serving TLS clients.
    @Test func plaintextOnTheTLSPortIsDroppedAndTLSStillServes() throws {
        let gateway = try TestCertificate.gateway()
        let client = try LoopbackClient(port: gateway.port)
        try client.send(Array("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8))
        var answer: [UInt8] = []
        while let bytes = try client.receive() { answer += bytes }
        #expect(!String(decoding: answer, as: UTF8.self).contains("HTTP/1.1 101"), "no upgrade in clear text")
        let result = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), "wss://127.0.0.1:\(gateway.port)/echo", "--sizes", "5"],
                                         environment: TestCertificate.trust)
        #expect(result.status == 0, "\(result)")
    }

    /// `--tls-min-version 1.3`: a client that stops at TLS 1.2 fails the TLS handshake.
    @Test func clientBelowTheMinimumVersionIsRefused() throws {
        let gateway = try TestCertificate.gateway(minimumVersion: .tls13)
        let probe = """
        import socket, ssl, sys
        for cap in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = ssl.create_default_context()
            context.maximum_version = cap
            try:
                with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
                    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                        print(cap.name, tls.version())
            except ssl.SSLError as error:
                print(cap.name, "refused")
        """
        let result = try PeerProcess.run("python3", ["-c", probe, "\(gateway.port)"], environment: TestCertificate.trust)
        #expect(result.lines == ["TLSv1_2 refused", "TLSv1_3 TLSv1.3"], "\(result)")
    }

    @Test func unreadableOrMismatchedFilesStopTheStartWithAClearError() throws {
        var configuration = GatewayConfiguration(port: 0)
        configuration.tls = TLSSettings(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: TestCertificate.files.key)
        #expect {
            _ = try GatewayServer.start(configuration: configuration, threads: 1)
        } throws: { error in
            "\(error)".hasPrefix("TLS: --tls-cert /nonexistent/cert.pem")
        }
        // The key of another certificate.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-other-key-\(getpid()).pem").path
        let made = try PeerProcess.run("openssl", ["genrsa", "-out", other, "2048"])
        #expect(made.status == 0)
        configuration.tls = TLSSettings(certificateChainPath: TestCertificate.files.certificate, privateKeyPath: other)
        #expect {
            _ = try GatewayServer.start(configuration: configuration, threads: 1)
        } throws: { error in
            "\(error)".contains("does the key belong to the certificate?")
        }
    }
}
