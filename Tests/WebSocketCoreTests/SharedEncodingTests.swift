import Testing
@testable import WebSocketCore

/// A line encoded once and shared must be byte for byte what each connection would have sent
/// itself — otherwise a room's members would see different frames than their connection promises.
@Suite struct SharedEncodingTests {
    static let lines: [String] = [
        "", "a", "bonjour", String(repeating: "passerelle ", count: 40),
        #"{"action":"ws/chat/in","msg":{"from":"TV","message":"\#(String(repeating: "été € 𝄞 ", count: 300))"}}"#,
        // Past the 64 KiB the shared compressor keeps between messages, and barely compressible.
        String(unsafeUninitializedCapacity: 100_000) { bytes in
            var random = SeededRandom(seed: 5)
            for i in 0..<bytes.count { bytes[i] = UInt8(0x21 + random.next() % 94) }
            return bytes.count
        },
    ]

    static func server(_ agreement: DeflateAgreement?, _ configuration: DeflateConfiguration = .init()) -> RFC6455Connection {
        RFC6455Connection(role: .server, deflate: agreement.map { DeflateContext(agreement: $0, role: .server, configuration: configuration) })
    }

    @Test(arguments: [9, 12, 15])
    func deflateWithoutServerContextTakeoverSharesTheConnectionsOwnBytes(windowBits: Int) throws {
        let agreement = DeflateAgreement(serverNoContextTakeover: true, serverMaxWindowBits: windowBits)
        for minimum in [0, 64] {
            let configuration = DeflateConfiguration(minimumCompressedSize: minimum)
            var connection = Self.server(agreement, configuration)
            guard case .rfc6455Deflate(let parameters)? = connection.sharedEncoding else {
                Issue.record("no shared encoding for \(agreement)"); return
            }
            #expect(parameters.windowBits == windowBits && parameters.minimumCompressedSize == minimum)
            var encoder = SharedEncoder()
            // Twice over, so a compressor that kept context would show.
            for line in Self.lines + Self.lines {
                let own = try connection.send(.text(line))
                #expect(try encoder.encode(.text(line), as: .rfc6455Deflate(parameters)) == own, "\(line.prefix(20))…")
            }
        }
    }

    @Test func plainRFC6455AndHixieShareTheirFrames() throws {
        var plain = Self.server(nil)
        var hixie = HixieConnection(role: .server, version: .hixie76)
        var encoder = SharedEncoder()
        #expect(plain.sharedEncoding == .rfc6455)
        #expect(hixie.sharedEncoding == .hixie)
        for line in Self.lines {
            #expect(try encoder.encode(.text(line), as: .rfc6455) == plain.send(.text(line)))
            #expect(try encoder.encode(.text(line), as: .hixie) == hixie.send(.text(line)))
        }
        #expect(try encoder.encode(.binary([1, 2, 3]), as: .rfc6455) == plain.send(.binary([1, 2, 3])))
        #expect(throws: WebSocketError.binaryNotSupportedByFraming) { try encoder.encode(.binary([1]), as: .hixie) }
    }

    @Test func connectionsWhoseBytesDependOnTheirOwnStateShareNothing() {
        // Context takeover: each message depends on the history of this one stream.
        #expect(Self.server(DeflateAgreement()).sharedEncoding == nil)
        // A client masks every frame with its own key (RFC 6455 §5.3).
        #expect(RFC6455Connection(role: .client).sharedEncoding == nil)
        // Window bits 8 under the accept-uncompressed policy: never compressed, so plain frames.
        let eight = RFC6455Connection(role: .server, deflate: DeflateContext(agreement: DeflateAgreement(serverMaxWindowBits: 8), role: .server))
        #expect(eight.sharedEncoding == .rfc6455)
    }
}
