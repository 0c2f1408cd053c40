/// Handshake messages of one direction, reassembled across records (RFC 8446 §4, RFC 5246 §7.4):
/// a message may span records, and a record may hold several.
struct TLSHandshakeReader {
    static let clientHello: UInt8 = 1, serverHello: UInt8 = 2, finished: UInt8 = 20, keyUpdate: UInt8 = 24

    struct Message: Hashable {
        let type: UInt8
        let body: [UInt8]
    }

    private var buffer: [UInt8] = []
    /// Handshake messages are small; a length past this is not a handshake.
    static let maxMessage = 1 << 18

    mutating func append(_ bytes: [UInt8]) -> [Message]? {
        buffer += bytes
        var messages: [Message] = []
        while buffer.count >= 4 {
            let length = Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
            guard length <= Self.maxMessage else { return nil }
            guard buffer.count >= 4 + length else { break }
            messages.append(Message(type: buffer[0], body: Array(buffer[4..<(4 + length)])))
            buffer.removeFirst(4 + length)
        }
        return messages
    }
}

/// What `decode` needs of the hellos: the randoms that index the key log, the version and the suite.
enum TLSHello {
    /// RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest.
    static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    struct Server: Hashable {
        let random: [UInt8]
        let cipherSuite: UInt16
        /// 0x0303 (TLS 1.2) or, from `supported_versions`, 0x0304 (TLS 1.3).
        let version: UInt16
        var isHelloRetryRequest: Bool { random == TLSHello.helloRetryRandom }
    }

    /// RFC 8446 §4.1.2: legacy_version(2) random(32) …
    static func clientRandom(_ body: [UInt8]) -> [UInt8]? {
        body.count >= 34 ? Array(body[2..<34]) : nil
    }

    /// RFC 8446 §4.1.3: legacy_version(2) random(32) session_id<0..32> cipher_suite(2)
    /// compression(1) extensions<…>; `supported_versions` (43) holds the version chosen.
    static func server(_ body: [UInt8]) -> Server? {
        guard body.count >= 38 else { return nil }
        let random = Array(body[2..<34])
        var at = 34
        let sessionID = Int(body[at]); at += 1 + sessionID
        guard body.count >= at + 3 else { return nil }
        let suite = UInt16(body[at]) << 8 | UInt16(body[at + 1]); at += 3
        var version = UInt16(body[0]) << 8 | UInt16(body[1])
        if body.count >= at + 2 {
            let end = min(body.count, at + 2 + (Int(body[at]) << 8 | Int(body[at + 1])))
            at += 2
            while at + 4 <= end {
                let type = Int(body[at]) << 8 | Int(body[at + 1])
                let length = Int(body[at + 2]) << 8 | Int(body[at + 3])
                at += 4
                if type == 43, length == 2, at + 2 <= end { version = UInt16(body[at]) << 8 | UInt16(body[at + 1]) }
                at += length
            }
        }
        return Server(random: random, cipherSuite: suite, version: version)
    }
}
