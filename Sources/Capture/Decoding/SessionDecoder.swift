import WebSocketCore

/// One TCP connection: finds the HTTP upgrade (on any port), reads the version and the negotiated
/// extensions from both sides of the handshake, then hands each direction to a `DirectionDecoder`.
struct SessionDecoder {
    let id: Int
    let client: TCPSegment.Endpoint
    let server: TCPSegment.Endpoint
    let start: Int64
    let maxPayload: Int
    let maxMessageBytes: Int

    private enum Phase {
        case request
        case response(HTTPRequestHead, ProtocolVersion)
        case open
        /// Not WebSocket (or refused): nothing more is decoded.
        case ignored
    }

    private var phase: Phase = .request
    private var clientBytes = ByteQueue()
    private var serverBytes = ByteQueue()
    private var requestParser = HTTPHeadParser(limits: HTTPHeadLimits(maxHeadBytes: 1 << 20, maxHeaderCount: 1000))
    private var responseParser = HTTPHeadParser(limits: HTTPHeadLimits(maxHeadBytes: 1 << 20, maxHeaderCount: 1000))
    private var decoders: [Direction: DirectionDecoder] = [:]
    /// The server's answer head once read: a hixie-76 answer's 16 bytes may come in a later segment.
    private var response: HTTPResponseHead?
    private(set) var record: ConnectionRecord
    private(set) var announced = false
    var midStream: [Direction: Bool] = [:]

    init(id: Int, client: TCPSegment.Endpoint, server: TCPSegment.Endpoint, start: Int64, maxPayload: Int, maxMessageBytes: Int = 16 << 20) {
        self.maxMessageBytes = maxMessageBytes
        self.id = id
        self.client = client
        self.server = server
        self.start = start
        self.maxPayload = maxPayload
        record = ConnectionRecord(id: id, client: client.description, server: server.description, start: Double(start) / 1e9)
    }

    var isWebSocket: Bool { announced && !isOpaqueTLS }
    /// TLS that is not decrypted (no keys, no hellos in the capture): nothing inside is decoded.
    private(set) var isOpaqueTLS = false
    /// The client's first bytes were a TLS ClientHello: everything goes through the decryptor.
    private var tls: TLSConnectionDecryptor?

    mutating func feed(_ chunk: TCPReassembler.Chunk, direction: Direction, at timestamp: Int64, secrets: TLSSecrets = TLSSecrets()) -> [DecodeRecord] {
        let time = Double(timestamp - start) / 1e9
        if tls != nil {
            let outputs = tls!.feed(chunk, direction: direction, secrets: secrets)
            return relay(outputs, time: time, secrets: secrets)
        }
        return feedClear(chunk, direction: direction, time: time, secrets: secrets)
    }

    /// The WebSocket decoding of TLS's plaintext, and what TLS could not open said where it was lost.
    private mutating func relay(_ outputs: [TLSConnectionDecryptor.Output], time: Double, secrets: TLSSecrets) -> [DecodeRecord] {
        var records: [DecodeRecord] = []
        record.tls = tls?.description
        for output in outputs {
            switch output {
            case .plaintext(let direction, let bytes):
                records += feedClear(.data(bytes), direction: direction, time: time, secrets: secrets)
            case .lost(let direction, let bytes, let cause):
                if case .open = phase {
                    records += decoders[direction]?.gap(bytes: bytes, time: time, exact: false, cause: cause) ?? []
                } else {
                    records += feedClear(.gap(bytes: bytes), direction: direction, time: time, secrets: secrets)
                }
            }
        }
        if let problem = tls?.problem, !announced {
            records += announceOpaqueTLS(because: problem, secrets: secrets)
        }
        return records
    }

    private mutating func announceOpaqueTLS(because problem: String?, secrets: TLSSecrets) -> [DecodeRecord] {
        isOpaqueTLS = true
        announced = true
        phase = .ignored
        record.tls = tls?.description
        let name = record.tls.map { "TLS (\($0))" } ?? "TLS"
        record.note = secrets.isEmpty
            ? "\(name): encrypted, the WebSocket inside is not decoded without the session's keys (--tls-keylog)"
            : "\(name): \(problem ?? "the handshake is not complete in the capture"); the WebSocket inside is not decoded"
        return [.connection(record)]
    }

    private mutating func feedClear(_ chunk: TCPReassembler.Chunk, direction: Direction, time: Double, secrets: TLSSecrets) -> [DecodeRecord] {
        switch chunk {
        case .gap(let bytes):
            if case .open = phase { return decoders[direction]?.gap(bytes: bytes, time: time) ?? [] }
            if case .request = phase, clientBytes.isEmpty, serverBytes.isEmpty {
                midStream[direction] = true
                return []
            }
            phase = .ignored
            return []
        case .data(let bytes):
            switch phase {
            case .ignored:
                return []
            case .open:
                return decoders[direction]?.feed(bytes, time: time) ?? []
            case .request, .response:
                if direction == .c2s { clientBytes.append(contentsOf: bytes) } else { serverBytes.append(contentsOf: bytes) }
                if tls == nil, case .request = phase, Self.startsLikeTLSClientHello(clientBytes) {
                    // wss: the bytes so far are TLS records; the WebSocket is inside them.
                    tls = TLSConnectionDecryptor()
                    let held = [(Direction.c2s, clientBytes.consumeAll()), (.s2c, serverBytes.consumeAll())]
                    let outputs = held.filter { !$0.1.isEmpty }.flatMap { tls!.feed(.data($0.1), direction: $0.0, secrets: secrets) }
                    return relay(outputs, time: time, secrets: secrets)
                }
                return advanceHandshake(time: time)
            }
        }
    }

    private mutating func advanceHandshake(time: Double) -> [DecodeRecord] {
        var records: [DecodeRecord] = []
        if case .request = phase {
            if midStream[.c2s] == true || midStream[.s2c] == true || (!clientBytes.isEmpty && !startsLikeRequest(clientBytes)) {
                return startMidStream(time: time)
            }
            guard let head = try? requestParser.parse(&clientBytes) else {
                if clientBytes.count > (1 << 20) { phase = .ignored }
                return []
            }
            guard let request = try? HTTPHeadParser.requestHead(from: head),
                  request.headers.listContains("Upgrade", token: "websocket") else {
                phase = .ignored
                return []
            }
            record.path = request.path
            do throws(WebSocketError) {
                let version = try ProtocolVersion.detect(in: request.headers)
                record.version = version.rawValue
                phase = .response(request, version)
            } catch {
                record.note = "handshake: \(error.reason)"
                phase = .response(request, .rfc6455)
                record.version = nil
            }
        }
        guard case .response(let request, let version) = phase else { return records }
        // hixie-76: key3 follows the request head.
        if version == .hixie76 && clientBytes.count < 8 { return records }
        if self.response == nil {
            guard let head = try? responseParser.parse(&serverBytes) else { return records }
            guard let parsed = try? HTTPHeadParser.responseHead(from: head) else {
                phase = .ignored
                return records
            }
            self.response = parsed
        }
        guard let response = self.response else { return records }
        record.status = response.status
        guard response.status == 101, record.version != nil else {
            announced = true
            record.note = record.note ?? "refused with HTTP \(response.status)"
            phase = .ignored
            return [.connection(record)]
        }
        if version == .hixie76 {
            guard serverBytes.count >= 16 else { return records }
            clientBytes.consume(8)
            serverBytes.consume(16)
        }
        var agreement: DeflateAgreement?
        if version.framing == .rfc6455 {
            let answer = response.headers.values("Sec-WebSocket-Extensions")
            let offers = ((try? ExtensionHeader.parse(request.headers.values("Sec-WebSocket-Extensions"))) ?? [])
                .compactMap { try? DeflateParameters($0) }
            do throws(WebSocketError) {
                let elements = try ExtensionHeader.parse(answer)
                agreement = try DeflateNegotiation.validateResponse(elements, offers: offers, configuration: DeflateConfiguration())?.0
                record.extensions = elements.isEmpty ? nil : ExtensionHeader.serialize(elements)
            } catch {
                record.extensions = answer.joined(separator: ", ")
                records.append(.violation(ViolationRecord(connection: id, time: time, direction: .s2c, rule: error.identifier,
                                                          section: error.section, description: error.reason)))
                // Decode with what the server said, even if it should not have said it.
                if let element = (try? ExtensionHeader.parse(answer))?.first, let parameters = try? DeflateParameters(element) {
                    agreement = DeflateAgreement(serverNoContextTakeover: parameters.serverNoContextTakeover,
                                                 clientNoContextTakeover: parameters.clientNoContextTakeover,
                                                 serverMaxWindowBits: parameters.serverMaxWindowBits ?? 15,
                                                 clientMaxWindowBits: { if case .value(let b) = parameters.clientMaxWindowBits { return b }; return 15 }())
                }
            }
            record.subprotocol = response.headers.first("Sec-WebSocket-Protocol")
        } else {
            record.subprotocol = response.headers.first(version == .hixie76 ? "Sec-WebSocket-Protocol" : "WebSocket-Protocol")
        }
        announced = true
        records.insert(.connection(record), at: 0)
        return records + open(version: version, agreement: agreement, time: time, midStream: false)
    }

    /// RFC 8446 §5.1 / RFC 5246 §6.2: a handshake record (22), version 3.x, then a ClientHello (1).
    static func startsLikeTLSClientHello(_ bytes: ByteQueue) -> Bool {
        let head = Array(bytes.readable.prefix(6))
        return head.count == 6 && head[0] == 0x16 && head[1] == 0x03 && head[2] <= 0x04 && head[5] == 0x01
    }

    private func startsLikeRequest(_ bytes: ByteQueue) -> Bool {
        let prefix = Array(bytes.readable.prefix(4))
        return Array("GET ".utf8).starts(with: prefix)
    }

    /// No handshake in the capture: guess the framing from the client's bytes (masked RFC 6455
    /// frames, or 0x00…0xFF hixie frames); extensions are unknown.
    private mutating func startMidStream(time: Double) -> [DecodeRecord] {
        let sample = Array(clientBytes.readable.prefix(4096)) + Array(serverBytes.readable.prefix(4096))
        guard !sample.isEmpty else { return [] }
        for bytes in [clientBytes, serverBytes] {
            let head = Array(bytes.readable.prefix(5))
            // RFC 8446 §5.1: a record header (content type, version 3.x, length) — TLS, not WebSocket frames.
            if head.count == 5, TLSRecord.plausibleHeader(type: head[0], major: head[1], minor: head[2], length: Int(head[3]) << 8 | Int(head[4])) {
                // Decoding records as frames would print violations no peer committed.
                isOpaqueTLS = true
                announced = true
                record.note = "TLS records (the capture starts mid-connection, without the hellos that place its keys): encrypted, the WebSocket inside is not decoded without the session's keys"
                phase = .ignored
                return [.connection(record)]
            }
        }
        let hixieLike = sample.first == 0x00 && sample.contains(0xFF)
        let version: ProtocolVersion = hixieLike ? .hixie76 : .rfc6455
        record.version = version.rawValue
        record.note = "mid-stream: the handshake is not in the capture; framing guessed as \(version.rawValue), extensions unknown"
        announced = true
        return [.connection(record)] + open(version: version, agreement: nil, time: time, midStream: true)
    }

    private mutating func open(version: ProtocolVersion, agreement: DeflateAgreement?, time: Double, midStream: Bool) -> [DecodeRecord] {
        phase = .open
        var records: [DecodeRecord] = []
        for (direction, bytes) in [(Direction.c2s, clientBytes), (.s2c, serverBytes)] {
            var decoder = DirectionDecoder(direction: direction, version: version, agreement: agreement, maxPayload: maxPayload,
                                           startsMidStream: midStream || self.midStream[direction] == true, maxMessageBytes: maxMessageBytes)
            decoder.connection = id
            records += decoder.feed(Array(bytes.readable), time: time)
            decoders[direction] = decoder
        }
        clientBytes = ByteQueue()
        serverBytes = ByteQueue()
        return records
    }

    mutating func finish(at timestamp: Int64, reassembly: [Direction: TCPReassembler], secrets: TLSSecrets = TLSSecrets()) -> [DecodeRecord] {
        let time = Double(timestamp - start) / 1e9
        var records: [DecodeRecord] = []
        if tls != nil {
            let outputs = tls!.finish(secrets: secrets)
            records += relay(outputs, time: time, secrets: secrets)
            if !announced { records += announceOpaqueTLS(because: tls?.problem, secrets: secrets) }
        }
        guard announced else { return records }
        var summary = SummaryRecord(id: id, version: record.version, extensions: record.extensions)
        for direction in [Direction.c2s, .s2c] {
            if var decoder = decoders[direction] {
                records += decoder.finish(time: time)
                summary.messages[direction.rawValue] = decoder.messages
                summary.frames[direction.rawValue] = decoder.frames
                summary.closeCodes[direction.rawValue] = decoder.closeCode.map { $0 }
            }
            summary.missingBytes += reassembly[direction]?.missingBytes ?? 0
            summary.retransmittedBytes += reassembly[direction]?.retransmittedBytes ?? 0
        }
        return records + [.summary(summary)]
    }
}
