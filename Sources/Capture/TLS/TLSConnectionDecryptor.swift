/// One TLS connection of a capture, opened with a key log's secrets: both directions' bytes in,
/// the plaintext of their application data out — what the WebSocket decoder then reads, as if the
/// capture had been of `ws://`.
///
/// It reads the hellos in the clear (the randoms that index the key log, the version, the suite),
/// derives each direction's keys as the peers did, follows the key changes (TLS 1.2's
/// ChangeCipherSpec; TLS 1.3's handshake keys until each side's Finished, then KeyUpdate) and opens
/// every record. What it cannot open it says, and never passes on bytes it did not authenticate.
struct TLSConnectionDecryptor {
    enum Output: Hashable {
        case plaintext(Direction, [UInt8])
        /// Application data that will never come out. `bytes` counts ciphertext (record headers, tags
        /// and padding included), so the plaintext lost is at most that: never an exact count.
        case lost(Direction, bytes: Int, cause: String)
    }

    /// "TLS 1.3, TLS_AES_128_GCM_SHA256" once the ServerHello is read.
    private(set) var description: String?
    /// Why nothing of this connection is decrypted (no keys, an unsupported suite…), once known.
    private(set) var problem: String?
    /// True once a record was opened with the key log's keys.
    private(set) var decrypting = false

    private enum Phase: Equatable {
        /// Records in the clear (the hellos; TLS 1.2's whole handshake until ChangeCipherSpec).
        case clear
        case protected
        /// After lost bytes: waiting for a record boundary that evidence confirms.
        case realigning(missing: Int)
        case stopped
    }

    private struct Side {
        var splitter = TLSRecordSplitter()
        var handshake = TLSHandshakeReader()
        var phase = Phase.clear
        var opener: TLSRecordOpener?
        /// TLS 1.2: the keys ChangeCipherSpec turns on. TLS 1.3: the application keys Finished turns on.
        var next: TLSRecordOpener?
        /// TLS 1.3: the current application traffic secret (a KeyUpdate derives the next one).
        var applicationSecret: [UInt8]?
        var records = 0
        /// Trial openings left to find where decryption resumes after lost bytes.
        var trialsLeft = 0
    }

    private var sides: [Direction: Side] = [.c2s: Side(), .s2c: Side()]
    private var clientRandom: [UInt8]?
    private var server: TLSHello.Server?
    private var suite: TLSCipherSuite?

    /// Bytes held while realigning before giving a direction up.
    static let maxRealignBytes = 4 * TLSRecord.maxFragment
    /// Sequence numbers tried on a candidate record after lost bytes (each lost record moves it by one).
    static let maxSequenceCandidates: UInt64 = 1 << 16
    /// Trial openings per loss, over all candidate offsets: a crafted capture cannot make realignment
    /// run for long (at most this many AEAD openings of at most 18 KiB each).
    static let maxTrialOpens = 1 << 17

    var isTLS13: Bool { server?.version == 0x0304 }

    mutating func feed(_ chunk: TCPReassembler.Chunk, direction: Direction, secrets: TLSSecrets) -> [Output] {
        var side = sides[direction]!
        defer { sides[direction] = side }
        switch chunk {
        case .gap(let bytes):
            switch side.phase {
            case .stopped:
                return []
            case .clear:
                if problem == nil { problem = "\(bytes) bytes of the TLS handshake are missing from the capture: the session's keys cannot be placed" }
                side.phase = .stopped
                return []
            case .protected:
                side.phase = .realigning(missing: bytes + side.splitter.buffered)
                side.splitter.reset()
                side.trialsLeft = Self.maxTrialOpens
                return []
            case .realigning(let missing):
                side.phase = .realigning(missing: missing + bytes + side.splitter.buffered)
                side.splitter.reset()
                return []
            }
        case .data(let bytes):
            guard side.phase != .stopped else { return [] }
            side.splitter.append(bytes)
            return drain(&side, direction: direction, secrets: secrets, atTheEnd: false)
        }
    }

    /// End of the data: a direction still realigning may take a record that ends exactly there.
    mutating func finish(secrets: TLSSecrets) -> [Output] {
        var outputs: [Output] = []
        for direction in [Direction.c2s, .s2c] {
            var side = sides[direction]!
            if case .realigning = side.phase {
                outputs += drain(&side, direction: direction, secrets: secrets, atTheEnd: true)
            }
            if case .realigning(let missing) = side.phase {
                outputs.append(.lost(direction, bytes: missing + side.splitter.buffered,
                                     cause: "TLS: \(missing) bytes missing from the capture and no record after them that opens"))
                side.phase = .stopped
            }
            sides[direction] = side
        }
        return outputs
    }

    private mutating func drain(_ side: inout Side, direction: Direction, secrets: TLSSecrets, atTheEnd: Bool) -> [Output] {
        var outputs: [Output] = []
        while true {
            if case .realigning(let missing) = side.phase {
                guard let realigned = realign(&side, direction: direction, missing: missing, atTheEnd: atTheEnd) else {
                    guard case .realigning(let missing) = side.phase else { return outputs }
                    if side.splitter.buffered > Self.maxRealignBytes {
                        side.phase = .stopped
                        outputs.append(.lost(direction, bytes: missing + side.splitter.buffered,
                                             cause: "TLS: \(missing) bytes missing from the capture, and no record boundary found after them"))
                    }
                    return outputs
                }
                outputs.append(realigned)
            }
            guard let next = side.splitter.next() else { return outputs }
            switch next {
            case .failure(let notARecord):
                side.phase = .stopped
                let header = notARecord.header.map { String($0, radix: 16) }.joined(separator: " ")
                if decrypting {
                    outputs.append(.lost(direction, bytes: side.splitter.buffered, cause: "TLS: bytes that are not a record (\(header))"))
                } else if problem == nil {
                    problem = "bytes that are not a TLS record (\(header)) in the \(direction.arrow) stream"
                }
                return outputs
            case .success(let record):
                side.records += 1
                outputs += handle(record, side: &side, direction: direction, secrets: secrets)
                if side.phase == .stopped { return outputs }
            }
        }
    }

    private mutating func handle(_ record: TLSRecord, side: inout Side, direction: Direction, secrets: TLSSecrets) -> [Output] {
        if side.phase == .clear {
            if record.contentType == TLSRecord.changeCipherSpec {
                // RFC 5246 §7.1: the sender's following records use the new keys. RFC 8446 §5: in
                // TLS 1.3 a compatibility record that changes nothing.
                guard !isTLS13 else { return [] }
                return turnProtectionOn(&side, direction: direction, secrets: secrets) ? [] : stop(&side)
            }
            // RFC 8446 §5.2: after the ServerHello, TLS 1.3 protects everything as application data.
            guard isTLS13, record.contentType == TLSRecord.applicationData else {
                return readClear(record, side: &side, direction: direction, secrets: secrets)
            }
            guard turnProtectionOn(&side, direction: direction, secrets: secrets) else { return stop(&side) }
        }
        if isTLS13, record.contentType == TLSRecord.changeCipherSpec { return [] }
        guard let opened = side.opener?.open(record) else {
            side.phase = .stopped
            if !decrypting {
                problem = problem ?? "the key log's keys do not open this session's records"
                return []
            }
            return [.lost(direction, bytes: record.fragment.count,
                          cause: "TLS: record \(side.records) of this direction does not open with the key log's keys; nothing after it is decrypted")]
        }
        decrypting = true
        switch opened.contentType {
        case TLSRecord.applicationData:
            return opened.plaintext.isEmpty ? [] : [.plaintext(direction, opened.plaintext)]
        case TLSRecord.handshake where isTLS13:
            guard let messages = side.handshake.append(opened.plaintext), let suite else { return [] }
            for message in messages {
                switch message.type {
                case TLSHandshakeReader.finished:
                    // RFC 8446 §4.4.4: after its Finished a side writes with its application keys.
                    if let next = side.next { side.opener = next; side.next = nil }
                case TLSHandshakeReader.keyUpdate:
                    // RFC 8446 §4.6.3: the sender's next records use the next traffic secret.
                    if let secret = side.applicationSecret {
                        let updated = TLSKeySchedule.nextTrafficSecret(secret, suite: suite)
                        side.applicationSecret = updated
                        side.opener = TLSRecordOpener(suite: suite, keys: TLSKeySchedule.tls13(trafficSecret: updated, suite: suite), isTLS13: true)
                    }
                default:
                    break
                }
            }
            return []
        default:
            return []   // alerts (close_notify), TLS 1.2's Finished: no WebSocket bytes
        }
    }

    /// The side's first protected record: its keys, looked up now (a live key log may have
    /// gained the session's lines since the ServerHello).
    private mutating func turnProtectionOn(_ side: inout Side, direction: Direction, secrets: TLSSecrets) -> Bool {
        if keys.isEmpty { prepareKeys(secrets: secrets) }
        guard let keys = keys[direction] else {
            if problem == nil { problem = server == nil ? "protected records before a readable ServerHello" : "no keys for this session" }
            return false
        }
        side.opener = keys.first
        side.next = keys.next
        side.applicationSecret = keys.applicationSecret
        side.phase = .protected
        return true
    }

    /// A record in the clear: the hellos, or (TLS 1.2) the rest of the handshake before ChangeCipherSpec.
    private mutating func readClear(_ record: TLSRecord, side: inout Side, direction: Direction, secrets: TLSSecrets) -> [Output] {
        switch record.contentType {
        case TLSRecord.handshake:
            guard let messages = side.handshake.append(record.fragment) else {
                problem = problem ?? "a handshake message longer than \(TLSHandshakeReader.maxMessage) bytes"
                return stop(&side)
            }
            for message in messages {
                if message.type == TLSHandshakeReader.clientHello, direction == .c2s {
                    clientRandom = TLSHello.clientRandom(message.body)
                } else if message.type == TLSHandshakeReader.serverHello, direction == .s2c,
                          let hello = TLSHello.server(message.body), !hello.isHelloRetryRequest {
                    readServerHello(hello)
                    if problem != nil { return stop(&side) }
                }
            }
            return []
        case TLSRecord.alert:
            problem = problem ?? "the handshake ended with a TLS alert (level \(record.fragment.first ?? 0), description \(record.fragment.dropFirst().first ?? 0))"
            return stop(&side)
        default:
            problem = problem ?? "protected records before the ServerHello (0-RTT early data, or a handshake missing from the capture)"
            return stop(&side)
        }
    }

    private mutating func readServerHello(_ hello: TLSHello.Server) {
        server = hello
        suite = TLSCipherSuite.named(hello.cipherSuite)
        let version = hello.version == 0x0304 ? "TLS 1.3" : hello.version == 0x0303 ? "TLS 1.2" : "TLS version 0x\(String(hello.version, radix: 16))"
        description = "\(version), \(suite?.name ?? "cipher suite 0x\(String(hello.cipherSuite, radix: 16))")"
        if hello.version != 0x0303 && hello.version != 0x0304 {
            problem = problem ?? "\(version) is not decrypted (only TLS 1.2 and 1.3)"
        } else if suite == nil {
            problem = problem ?? "cipher suite 0x\(String(hello.cipherSuite, radix: 16)) is not decrypted (only the AEAD suites: AES-GCM, ChaCha20-Poly1305)"
        }
    }

    private mutating func stop(_ side: inout Side) -> [Output] {
        side.phase = .stopped
        return []
    }

    private struct DirectionKeys {
        /// TLS 1.2: the keys after ChangeCipherSpec. TLS 1.3: the handshake keys.
        let first: TLSRecordOpener
        /// TLS 1.3: the application keys, after the side's Finished.
        let next: TLSRecordOpener?
        let applicationSecret: [UInt8]?
    }

    private var keys: [Direction: DirectionKeys] = [:]

    /// Looks the session up in the key log and derives both directions' keys.
    private mutating func prepareKeys(secrets: TLSSecrets) {
        guard keys.isEmpty, problem == nil, let suite, let server, let clientRandom else { return }
        if isTLS13 {
            guard let clientHandshake = secrets.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientRandom: clientRandom),
                  let serverHandshake = secrets.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", clientRandom: clientRandom),
                  let clientApplication = secrets.secret("CLIENT_TRAFFIC_SECRET_0", clientRandom: clientRandom),
                  let serverApplication = secrets.secret("SERVER_TRAFFIC_SECRET_0", clientRandom: clientRandom) else {
                problem = "no keys for this session in the key log (its TLS 1.3 traffic secrets, client random \(Self.hex(clientRandom.prefix(8)))…)"
                return
            }
            for (direction, handshake, application) in [(Direction.c2s, clientHandshake, clientApplication), (.s2c, serverHandshake, serverApplication)] {
                keys[direction] = DirectionKeys(
                    first: TLSRecordOpener(suite: suite, keys: TLSKeySchedule.tls13(trafficSecret: handshake, suite: suite), isTLS13: true),
                    next: TLSRecordOpener(suite: suite, keys: TLSKeySchedule.tls13(trafficSecret: application, suite: suite), isTLS13: true),
                    applicationSecret: application)
            }
        } else {
            guard let master = secrets.secret("CLIENT_RANDOM", clientRandom: clientRandom) else {
                problem = "no keys for this session in the key log (CLIENT_RANDOM \(Self.hex(clientRandom.prefix(8)))…)"
                return
            }
            let derived = TLSKeySchedule.tls12(masterSecret: master, clientRandom: clientRandom, serverRandom: server.random, suite: suite)
            keys[.c2s] = DirectionKeys(first: TLSRecordOpener(suite: suite, keys: derived.client, isTLS13: false), next: nil, applicationSecret: nil)
            keys[.s2c] = DirectionKeys(first: TLSRecordOpener(suite: suite, keys: derived.server, isTLS13: false), next: nil, applicationSecret: nil)
        }
    }

    /// After lost bytes: a record boundary that two headers in a row confirm, opened at the first
    /// sequence number that authenticates it — the tag is the proof, so nothing misaligned passes.
    private func realign(_ side: inout Side, direction: Direction, missing: Int, atTheEnd: Bool) -> Output? {
        guard let opener = side.opener else { return nil }
        var passed = 0
        defer { if passed > 0, case .realigning(let m) = side.phase { side.phase = .realigning(missing: m + passed) } }
        while let skipped = side.splitter.realign(acceptingTheEnd: atTheEnd) {
            passed += skipped
            var probe = side.splitter
            guard case .success(let record)? = probe.next() else { return nil }
            let first = opener.sequence
            // TLS 1.2 AES-GCM peers write the sequence number as the explicit nonce: tried first.
            var candidates: [UInt64] = []
            if !opener.isTLS13, opener.suite.tls12ExplicitNonceLength == 8, record.fragment.count >= 8 {
                candidates.append(record.fragment.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
            // Each lost record holds at least 21 bytes: the bound on how far the count moved.
            let bound = min(Self.maxSequenceCandidates, UInt64(missing + passed) / 21 + 2)
            for sequence in candidates + Array(first..<(first + bound)) where sequence >= first {
                guard side.trialsLeft > 0 else {
                    // Out of trials: the direction stops here rather than search without end.
                    side.splitter.drop(side.splitter.buffered)
                    side.phase = .stopped
                    let lost = missing + passed
                    passed = 0
                    return .lost(direction, bytes: lost,
                                 cause: "TLS: \(lost) bytes missing from the capture, and no record after them opened within \(Self.maxTrialOpens) trials; nothing after them is decrypted")
                }
                side.trialsLeft -= 1
                guard opener.open(record, sequence: sequence) != nil else { continue }
                let lostRecords = sequence - first
                side.opener = TLSRecordOpener(suite: opener.suite, keys: opener.keys, isTLS13: opener.isTLS13, sequence: sequence)
                let lost = missing + passed
                passed = 0
                side.phase = .protected
                return .lost(direction, bytes: lost,
                             cause: "TLS: \(lost) bytes (\(lostRecords) record\(lostRecords == 1 ? "" : "s")) missing from the capture; decryption resumes at the next record that opens")
            }
            // Not a record of this session at this offset: look further.
            side.splitter.drop(1)
            passed += 1
        }
        return nil
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
