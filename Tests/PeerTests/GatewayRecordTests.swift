import Capture
import Foundation
import Gateway
import Testing

/// `serve --record DIR`: each connection becomes a pcapng that tshark and `decode` read.
@Suite(.ownThread) struct GatewayRecordTests {
    @Test func recordedConnectionsDecodeAndAreReadByTshark() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = GatewayConfiguration(port: 0)
        configuration.recordDirectory = directory.path
        let gateway = try TestGateway(configuration)
        let python = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(), "--texts", "Bonjour|enregistr\u{e9}|Bonjour"])
        #expect(python.status == 0, "\(python)")
        let perl = try PeerProcess.run("perl", [PeerProcess.script("hixie76_client.pl"), gateway.url(), "hixie-76 enregistr\u{e9}"])
        #expect(perl.status == 0, "\(perl)")
        _ = gateway.closedConnections(atLeast: 2)
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
        #expect(files.count == 2)
        var texts: [String] = []
        var versions: [String] = []
        for file in files {
            let records = try decode(file)
            texts += records.compactMap { if case .message(let m) = $0, m.direction == .s2c, m.kind == "text" { return m.text } else { return nil } }
            versions += records.compactMap { if case .connection(let c) = $0 { return c.version } else { return nil } }
            #expect(!records.contains { if case .violation = $0 { return true } else { return false } })
            // tshark reads the same file and finds the WebSocket frames (RFC 6455 only: it has no hixie dissector).
            if versions.last == "rfc6455" {
                let tshark = try PeerProcess.run("tshark", ["-r", file.path, "-d", "tcp.port==\(gateway.port),http", "-Y", "websocket", "-T", "fields", "-e", "websocket.opcode"])
                #expect(tshark.status == 0 && tshark.lines.count == 8, "3 texts and a close each way: \(tshark)")
            }
        }
        #expect(Set(versions) == ["rfc6455", "hixie-76"])
        #expect(Set(texts) == ["Bonjour", "enregistr\u{e9}", "hixie-76 enregistr\u{e9}"])
    }

    func decode(_ url: URL) throws -> [DecodeRecord] {
        var decoder = CaptureDecoder(options: .init(maxPayload: 1 << 20))
        return try decoder.feed(Array(Data(contentsOf: url))) + decoder.finish()
    }
}

/// A live capture: dumpcap on loopback while real peers talk to the gateway, then `decode`.
@Suite(.ownThread) struct LiveCaptureTests {
    @Test func dumpcapCaptureOfGatewaySessionsDecodesToWhatWasSent() throws {
        let gateway = try TestGateway()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-live-\(UUID().uuidString).pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        let dumpcap = try PeerProcess.start("dumpcap", ["-q", "-i", "lo", "-f", "tcp port \(gateway.port)", "-w", file.path], unblockSignals: true)
        let ready = Date().addingTimeInterval(10)
        while ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0) == 0 && Date() < ready {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let texts = ["Bonjour", "Bonjour", "compress\u{e9} avec contexte", ""]
        let python = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), gateway.url(), "--texts", texts.joined(separator: "|")])
        let perl = try PeerProcess.run("perl", [PeerProcess.script("hixie76_client.pl"), gateway.url(), "hixie-76 en direct"])
        #expect(python.status == 0 && perl.status == 0, "\(python)\n\(perl)")
        _ = gateway.closedConnections(atLeast: 2)
        Thread.sleep(forTimeInterval: 0.5)
        kill(dumpcap.process.processIdentifier, SIGINT)
        let captured = dumpcap.finish(timeout: 10)
        #expect(captured.status == 0, "dumpcap: \(captured)")
        var decoder = CaptureDecoder(options: .init(maxPayload: 1 << 20))
        let records = try decoder.feed(Array(Data(contentsOf: file))) + decoder.finish()
        let connections = records.compactMap { if case .connection(let c) = $0 { return c } else { return nil } }
        #expect(connections.map(\.version) == ["rfc6455", "hixie-76"])
        #expect(connections.first?.extensions == "permessage-deflate; server_no_context_takeover")
        let echoed: (Int) -> [String] = { id in
            records.compactMap { if case .message(let m) = $0, m.connection == id, m.direction == .s2c, m.kind == "text" { return m.text } else { return nil } }
        }
        #expect(echoed(1) == texts)
        #expect(echoed(2) == ["hixie-76 en direct"])
        #expect(!records.contains { if case .violation = $0 { return true } else { return false } })
    }
}
