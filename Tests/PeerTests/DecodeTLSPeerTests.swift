import Foundation
import Gateway
import Testing

/// `decode --tls-keylog`: wss conversations between real clients (node ws on each TLS 1.2 and 1.3
/// AEAD suite, Python websockets) and `serve --tls-cert --tls-keylog`, captured by dumpcap, are
/// decrypted with the gateway's key log and agree with tshark's decryption frame by frame; the
/// same with the keys inside the pcapng; and live, with the key log read as it grows.
@Suite(.serialized, .ownThread) struct DecodeTLSPeerTests {
    static let suites: [(version: String, cipher: String, shown: String)] = [
        ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "TLS 1.3, TLS_AES_128_GCM_SHA256"),
        ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "TLS 1.3, TLS_AES_256_GCM_SHA384"),
        ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3, TLS_CHACHA20_POLY1305_SHA256"),
        ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        ("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305", "TLS 1.2, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    ]

    @Test func wssDecodesLikeTsharkFromTheFileTheSecretsBlockAndLive() throws {
        let capture = try CapturedTLSGateway(name: "wss")
        defer { capture.removeFolder() }
        let (gateway, keyLog, file, filter) = (capture.gateway, capture.keyLog, capture.file, capture.filter)
        let binary = GatewayLifecycleTests.binary.path
        // The live view: the key log is empty now; the decoder reads it again as it grows.
        let live = try PeerProcess.start("sh", ["-c", "dumpcap -q -i lo -f '\(filter)' -w - 2>/dev/null | exec '\(binary)' decode --json --tls-keylog '\(keyLog.path)' -"],
                                         unblockSignals: true)
        defer { _ = try? PeerProcess.run("pkill", ["-INT", "-f", filter]) }
        try capture.waitUntilCapturing()

        var texts: [[String]] = []
        for (index, suite) in Self.suites.enumerated() {
            let said = ["\(suite.cipher) n\u{b0}\(index)", "chiffr\u{e9} \u{20ac}"]
            texts.append(said)
            let node = try PeerProcess.run("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("node_wss_client.js"),
                                                   "wss://127.0.0.1:\(gateway.port)/echo", "--tls", suite.version, "--cipher", suite.cipher]
                                                  + (index % 2 == 0 ? ["--deflate"] : []) + said)
            #expect(node.status == 0, "\(node)")
        }
        let pythonSaid = ["Bonjour", "d\u{e9}chiffr\u{e9} par Passerelle"]
        texts.append(pythonSaid)
        let python = try PeerProcess.run("python3", [PeerProcess.script("python_client.py"), "wss://127.0.0.1:\(gateway.port)/echo",
                                                     "--texts", pythonSaid.joined(separator: "|")], environment: TestCertificate.trust)
        #expect(python.status == 0, "\(python)")
        _ = gateway.closedConnections(atLeast: texts.count)

        // Live: every message printed while the capture still runs.
        let lastText = "\"text\":\"d\u{e9}chiffr\u{e9} par Passerelle\""
        let deadline = Date().addingTimeInterval(20)
        while live.outputSoFar.components(separatedBy: lastText).count < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let liveRecords = Self.jsonRecords(live.outputSoFar)
        #expect(Self.texts(liveRecords) == Self.echoed(texts), "the live view decrypted every message as it came")

        capture.stop()
        _ = try PeerProcess.run("pkill", ["-INT", "-f", filter])
        _ = live.finish(timeout: 10)

        let decoded = try PeerProcess.run(binary, ["decode", "--json", "--max-payload", "1000", "--tls-keylog", keyLog.path, file.path])
        #expect(decoded.status == 0, "\(decoded)")
        let records = Self.jsonRecords(decoded.stdout)
        let connections = records.filter { $0["type"] as? String == "connection" }
        #expect(connections.count == texts.count, "\(connections)")
        #expect(connections.prefix(6).map { $0["tls"] as? String } == Self.suites.map(\.shown))
        #expect((connections.last?["tls"] as? String)?.hasPrefix("TLS 1.3, ") == true, "Python's OpenSSL and BoringSSL agree on TLS 1.3")
        #expect(Self.texts(records) == Self.echoed(texts))
        #expect(!records.contains { $0["type"] as? String == "violation" })

        // tshark's own decryption with the same key log, field by field.
        let tshark = try PeerProcess.run("tshark", ["-r", file.path, "-o", "tls.keylog_file:\(keyLog.path)", "-d", "tcp.port==\(gateway.port),tls",
                                                    "-Y", "websocket", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                                                    "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "websocket.fin", "-e", "websocket.rsv",
                                                    "-e", "websocket.opcode", "-e", "websocket.mask", "-e", "websocket.payload_length",
                                                    "-e", "websocket.masking_key", "-e", "websocket.payload.text"])
        #expect(tshark.status == 0, "\(tshark)")
        var theirs: [String: [String]] = [:], theirTexts: [String: [String]] = [:]
        for line in tshark.lines where !line.isEmpty {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 9, let stream = Int(f[0]) else { continue }
            let key = "\(stream + 1) \(f[1] == String(gateway.port) ? "s2c" : "c2s")"
            let rsv = Int(f[3].dropFirst(2), radix: 16) ?? -1
            theirs[key, default: []].append("fin=\(f[2]) rsv=\(rsv) opcode=\(f[4]) masked=\(f[5]) length=\(f[6]) key=\(f[7])")
            if f[4] == "1" { theirTexts[key, default: []].append(f[8]) }
        }
        var ours: [String: [String]] = [:], ourTexts: [String: [String]] = [:]
        for record in records {
            guard let connection = record["connection"] as? Int, let direction = record["direction"] as? String else { continue }
            let key = "\(connection) \(direction)"
            if record["type"] as? String == "frame" {
                let fin = (record["fin"] as? Bool) == true ? "1" : "0", masked = (record["masked"] as? Bool) == true ? "1" : "0"
                ours[key, default: []].append("fin=\(fin) rsv=\(record["rsv"] as? Int ?? -1) opcode=\(record["opcode"] as? Int ?? -1) masked=\(masked) "
                                              + "length=\(record["payloadLength"] as? Int ?? -1) key=\(record["maskingKey"] as? String ?? "")")
            } else if record["type"] as? String == "message", record["kind"] as? String == "text" {
                ourTexts[key, default: []].append(record["text"] as? String ?? "")
            }
        }
        #expect(ours.count == 2 * texts.count)
        #expect(ours == theirs, "frames as tshark decrypts them")
        #expect(ourTexts == theirTexts, "texts (inflated) as tshark decrypts them")

        // The keys inside the pcapng (editcap --inject-secrets) do what the key log does.
        let embedded = capture.folder.appendingPathComponent("wss-secrets.pcapng")
        let editcap = try PeerProcess.run("editcap", ["--inject-secrets", "tls,\(keyLog.path)", file.path, embedded.path])
        #expect(editcap.status == 0, "\(editcap)")
        let fromBlock = try PeerProcess.run(binary, ["decode", "--json", "--max-payload", "1000", embedded.path])
        #expect(fromBlock.stdout == decoded.stdout)
    }

    /// OpenSSL's s_client asks for TLS 1.3 KeyUpdates (`K`: both sides update, `k`: the client
    /// alone): each direction's next secret is derived and every message still opens. A TLS 1.2 CBC
    /// suite (outside the AEAD list) is named and left undecoded, said so.
    @Test func keyUpdatesAreFollowedAndACBCSuiteIsSaid() throws {
        let capture = try CapturedTLSGateway(name: "keyupdate")
        defer { capture.removeFolder() }
        let (gateway, keyLog, file) = (capture.gateway, capture.keyLog, capture.file)
        try capture.waitUntilCapturing()
        // s_client reads a line that is only "K" or "k" as a command: each goes alone, after a pause.
        // The frames are masked with the key 00000000 (allowed: RFC 6455 §5.3 asks only for a mask).
        let frame = { (text: String) in "printf '\\201\\\(String(0x80 + text.utf8.count, radix: 8))\\0\\0\\0\\0\(text)'" }
        let script = """
        ( printf 'GET /echo HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n'
          sleep 0.5; \(frame("avant")); sleep 0.5; echo K; sleep 0.5; \(frame("apres")); sleep 0.5; echo k; sleep 0.5; \(frame("encore")); sleep 0.5
        ) | openssl s_client -connect 127.0.0.1:\(gateway.port) -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
        """
        let openssl = try PeerProcess.run("sh", ["-c", script])
        #expect((openssl.stdout + openssl.stderr).components(separatedBy: "KEYUPDATE").count == 3, "\(openssl.stderr)")
        let cbc = try PeerProcess.run("env", ["NODE_PATH=/usr/share/nodejs", "node", PeerProcess.script("node_wss_client.js"),
                                              "wss://127.0.0.1:\(gateway.port)/echo", "--tls", "TLSv1.2", "--cipher", "ECDHE-RSA-AES128-SHA", "cbc"])
        #expect(cbc.status == 0, "\(cbc)")
        _ = gateway.closedConnections(atLeast: 2)
        capture.stop()

        let tshark = try PeerProcess.run("tshark", ["-r", file.path, "-o", "tls.keylog_file:\(keyLog.path)", "-d", "tcp.port==\(gateway.port),tls",
                                                    "-Y", "tls.handshake.type == 24", "-T", "fields", "-e", "tcp.srcport"])
        #expect(tshark.lines.filter { !$0.isEmpty }.count == 3, "three KeyUpdates (two from the client, one from the gateway): \(tshark)")
        let decoded = try PeerProcess.run(GatewayLifecycleTests.binary.path, ["decode", "--json", "--tls-keylog", keyLog.path, file.path])
        let records = Self.jsonRecords(decoded.stdout)
        #expect(Self.texts(records) == Self.echoed([["avant", "apres", "encore"]]))
        #expect(!records.contains { $0["type"] as? String == "violation" || $0["type"] as? String == "gap" })
        let connections = records.filter { $0["type"] as? String == "connection" }
        #expect(connections.count == 2)
        #expect(connections.last?["tls"] as? String == "TLS 1.2, cipher suite 0xc013")
        #expect((connections.last?["note"] as? String)?.contains("cipher suite 0xc013 is not decrypted") == true, "\(connections)")
    }

    static func jsonRecords(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Each connection's text messages, both ways, in order: what was said, and its echo.
    static func texts(_ records: [[String: Any]]) -> [String] {
        records.compactMap { r in
            guard r["type"] as? String == "message", r["kind"] as? String == "text" else { return nil }
            return "\(r["connection"] as? Int ?? 0) \(r["direction"] as? String ?? "") \(r["text"] as? String ?? "")"
        }.sorted()
    }

    static func echoed(_ texts: [[String]]) -> [String] {
        texts.enumerated().flatMap { index, said in said.flatMap { ["\(index + 1) c2s \($0)", "\(index + 1) s2c \($0)"] } }.sorted()
    }
}
