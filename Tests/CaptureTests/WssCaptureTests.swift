import Capture
import Foundation
import Testing

/// wss captures of node ws and the gateway (scripts/capture-wss-fixtures), opened with the
/// gateway's key log: TLS 1.2 and 1.3, AES-GCM and ChaCha20-Poly1305, a lost record, keys
/// embedded in the pcapng, and the key log that does not fit.
@Suite struct WssCaptureTests {
    static let folder = RealCaptureTests.folder.appendingPathComponent("wss")

    static let sixSuites = [
        "TLS 1.3, TLS_AES_128_GCM_SHA256", "TLS 1.3, TLS_AES_256_GCM_SHA384", "TLS 1.3, TLS_CHACHA20_POLY1305_SHA256",
        "TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS 1.2, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ]

    static func keys(_ name: String) throws -> TLSSecrets {
        TLSSecrets(keyLog: Array(try Data(contentsOf: folder.appendingPathComponent(name + ".keys"))))
    }

    static func decode(_ file: String, secrets: TLSSecrets = TLSSecrets()) throws -> [DecodeRecord] {
        var decoder = CaptureDecoder(options: .init(maxPayload: 256), secrets: secrets)
        return try decoder.feed(Array(Data(contentsOf: folder.appendingPathComponent(file)))) + decoder.finish()
    }

    static func connections(_ records: [DecodeRecord]) -> [ConnectionRecord] {
        records.compactMap { if case .connection(let c) = $0 { return c } else { return nil } }
    }

    @Test func everySuiteOpensWithTheKeyLog() throws {
        let records = try Self.decode("six-suites.pcapng", secrets: Self.keys("six-suites"))
        #expect(Self.connections(records).map(\.tls) == Self.sixSuites.map { Optional($0) })
        #expect(Self.connections(records).allSatisfy { $0.version == "rfc6455" && $0.extensions?.hasPrefix("permessage-deflate") == true })
        for id in 1...6 {
            for direction in [Direction.c2s, .s2c] {
                #expect(HandmadeCaptureTests.texts(records, direction, connection: id) == ["chiffr\u{e9} puis d\u{e9}chiffr\u{e9}", "\u{e9}t\u{e9} \u{20ac}"])
            }
        }
        #expect(HandmadeCaptureTests.violations(records).isEmpty)
        let expected = try String(contentsOf: Self.folder.appendingPathComponent("six-suites.expected.txt"), encoding: .utf8)
        #expect(records.map { TimelineRenderer.render($0) + "\n" }.joined() == expected)
    }

    /// `editcap --inject-secrets`: the pcapng's Decryption Secrets Block is a key log of its own.
    @Test func keysInsideThePcapngNeedNoKeyLog() throws {
        let embedded = try Self.decode("six-suites-with-secrets.pcapng")
        let given = try Self.decode("six-suites.pcapng", secrets: Self.keys("six-suites"))
        #expect(embedded == given)
    }

    @Test func withoutKeysEachSessionIsNamedAndNothingIsInvented() throws {
        let records = try Self.decode("six-suites.pcapng")
        let connections = Self.connections(records)
        #expect(connections.map(\.tls) == Self.sixSuites.map { Optional($0) })
        #expect(connections.allSatisfy { $0.note?.hasPrefix("TLS (TLS 1.") == true && $0.note?.contains("--tls-keylog") == true })
        #expect(!records.contains { if case .frame = $0 { return true }; if case .violation = $0 { return true }; return false })
    }

    /// Another capture's key log: the sessions are not in it, and that is what is said.
    @Test func aKeyLogWithoutTheSessionSaysSo() throws {
        let records = try Self.decode("six-suites.pcapng", secrets: Self.keys("record-lost"))
        let notes = Self.connections(records).compactMap(\.note)
        #expect(notes.count == 6 && notes.allSatisfy { $0.contains("no keys for this session in the key log") }, "\(notes)")
        #expect(!records.contains { if case .frame = $0 { return true }; return false })
    }

    /// A secret that is wrong (one byte changed): the records do not authenticate, nothing is shown.
    @Test func aWrongSecretOpensNothing() throws {
        var text = try String(contentsOf: Self.folder.appendingPathComponent("six-suites.keys"), encoding: .utf8)
        // Every secret's last hex digit changed: each line still parses, no key is right.
        text = text.split(separator: "\n").map { line in
            var line = String(line)
            let last = line.removeLast()
            return line + (last == "0" ? "1" : "0")
        }.joined(separator: "\n")
        let records = try Self.decode("six-suites.pcapng", secrets: TLSSecrets(keyLog: Array(text.utf8)))
        let notes = Self.connections(records).compactMap(\.note)
        #expect(notes.count == 6 && notes.allSatisfy { $0.contains("do not open") }, "\(notes)")
        #expect(!records.contains { if case .frame = $0 { return true }; if case .message = $0 { return true }; return false })
    }

    /// One TLS record removed from each client stream: the loss is said where it happened (its
    /// size and record count), decryption resumes at the next record whose tag authenticates at
    /// the next sequence numbers, and the WebSocket decoding resumes once two frames line up.
    @Test func aLostRecordIsSaidAndTheRestOpens() throws {
        let records = try Self.decode("record-lost.pcapng", secrets: Self.keys("record-lost"))
        let all = (1...8).map { "message-\($0)" }
        for id in 1...3 {
            #expect(HandmadeCaptureTests.texts(records, .s2c, connection: id) == all)
            let sent = HandmadeCaptureTests.texts(records, .c2s, connection: id)
            #expect(sent == all.filter { $0 != "message-3" }, "connection \(id): \(sent)")
            let gaps = records.compactMap { if case .gap(let g) = $0, g.connection == id { return g } else { return nil } }
            #expect(gaps.first?.note.hasPrefix("TLS: ") == true && gaps.first?.note.contains("(1 record)") == true, "\(gaps)")
        }
        #expect(HandmadeCaptureTests.violations(records).isEmpty)
        let expected = try String(contentsOf: Self.folder.appendingPathComponent("record-lost.expected.txt"), encoding: .utf8)
        #expect(records.map { TimelineRenderer.render($0) + "\n" }.joined() == expected)
    }

    @Test func keyLogLinesAreReadAsNSSWritesThem() {
        let random = String(repeating: "ab", count: 32)
        let log = """
        # comment
        CLIENT_RANDOM \(random) \(String(repeating: "01", count: 48))
        SERVER_TRAFFIC_SECRET_0 \(random) \(String(repeating: "02", count: 32))\r
        CLIENT_RANDOM shortrandom 00
        CLIENT_RANDOM \(random) not-hex
        """
        let secrets = TLSSecrets(keyLog: Array(log.utf8))
        let clientRandom = [UInt8](repeating: 0xAB, count: 32)
        #expect(secrets.secret("CLIENT_RANDOM", clientRandom: clientRandom) == [UInt8](repeating: 1, count: 48))
        #expect(secrets.secret("SERVER_TRAFFIC_SECRET_0", clientRandom: clientRandom) == [UInt8](repeating: 2, count: 32))
        #expect(secrets.malformedLines == 2)
        #expect(secrets.sessionCount == 1)
    }
}
