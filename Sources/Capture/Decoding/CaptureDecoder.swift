import WebSocketCore

/// The capture decoder, sans I/O: capture-file bytes in (any chunking), decode records out as
/// soon as they are known, so memory stays bounded whatever the file size.
public struct CaptureDecoder {
    public struct Options: Sendable {
        /// Only TCP segments from or to this port.
        public var port: UInt16?
        /// Only this connection's records (ids count from 1 in order of first packet).
        public var connection: Int?
        /// Characters of text / bytes of binary kept per message.
        public var maxPayload: Int

        /// What is held of one unfinished message; longer ones are shown without content.
        public var maxMessageBytes: Int

        /// Live: out-of-order bytes waiting this long (capture time) for a missing segment go out,
        /// the segment declared lost. nil: they wait for the connection's end (or 4 MiB held).
        public var maxHoldNanoseconds: Int64?

        public init(port: UInt16? = nil, connection: Int? = nil, maxPayload: Int = 256, maxMessageBytes: Int = 16 << 20,
                    maxHoldNanoseconds: Int64? = nil) {
            self.maxHoldNanoseconds = maxHoldNanoseconds
            self.maxMessageBytes = maxMessageBytes
            self.port = port
            self.connection = connection
            self.maxPayload = maxPayload
        }
    }

    /// Counts for the end-of-run line.
    public struct Statistics: Sendable {
        public var packets = 0
        public var tcpSegments = 0
        public var skipped: [String: Int] = [:]
        public var connections = 0
        public var webSocketConnections = 0
    }

    private struct Flow {
        var session: SessionDecoder
        var reassembly: [Direction: TCPReassembler] = [.c2s: TCPReassembler(), .s2c: TCPReassembler()]
        var violations = 0
        var bytes: [Direction: Int] = [:]
        var last: Int64
        var finished = false
        var fins: Set<Direction> = []

        /// FIN seen from `direction`; the flow is over once both sides sent theirs.
        mutating func finishedBothWays(after direction: Direction) -> Bool {
            fins.insert(direction)
            return fins.count == 2
        }
    }

    public let options: Options
    /// TLS keys: a key log given by the user, and the Decryption Secrets Blocks of pcapng files.
    public private(set) var secrets: TLSSecrets
    private var reader = CaptureFileReader()
    private var flows: [ConnectionKey: Flow] = [:]
    private var nextID = 1
    private var lastTimestamp: Int64 = 0
    /// Capture time of the last look for held bytes past `maxHoldNanoseconds`.
    private var lastHoldCheck: Int64 = 0
    public private(set) var statistics = Statistics()

    /// The unordered endpoint pair of a connection.
    private struct ConnectionKey: Hashable {
        let low: TCPSegment.Endpoint
        let high: TCPSegment.Endpoint
        init(_ a: TCPSegment.Endpoint, _ b: TCPSegment.Endpoint) {
            (low, high) = a < b ? (a, b) : (b, a)
        }
    }

    public init(options: Options = Options(), secrets: TLSSecrets = TLSSecrets()) {
        self.options = options
        self.secrets = secrets
    }

    /// Keys learnt after the start (a live key log that grew): sessions not yet opened use them.
    public mutating func add(secrets more: TLSSecrets) {
        secrets.add(more)
    }

    public var format: CaptureFileReader.Format? { reader.format }

    /// Feeds capture-file bytes; returns the records they completed.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(CaptureError) -> [DecodeRecord] {
        reader.append(bytes)
        var records: [DecodeRecord] = []
        while let packet = try reader.next() {
            // pcapng: keys embedded before the packets they open (editcap --inject-secrets).
            for keyLog in reader.takeDecryptionSecrets() { secrets.add(keyLog: keyLog) }
            records += handle(packet)
        }
        for keyLog in reader.takeDecryptionSecrets() { secrets.add(keyLog: keyLog) }
        return filter(records)
    }

    /// End of file: flushes held segments and prints each connection's summary.
    public mutating func finish() throws(CaptureError) -> [DecodeRecord] {
        if reader.format == nil { throw .notACaptureFile }
        var records: [DecodeRecord] = []
        for key in flows.keys.sorted(by: { flows[$0]!.session.id < flows[$1]!.session.id }) {
            records += close(key, at: flows[key]!.last)
        }
        if reader.pendingBytes > 0 { statistics.skipped["truncated last record", default: 0] += 1 }
        return filter(records)
    }

    private func filter(_ records: [DecodeRecord]) -> [DecodeRecord] {
        guard let wanted = options.connection else { return records }
        return records.filter { $0.connectionID == wanted }
    }

    private mutating func handle(_ packet: CapturedPacket) -> [DecodeRecord] {
        statistics.packets += 1
        lastTimestamp = max(lastTimestamp, packet.timestamp)
        let segment: TCPSegment
        switch PacketDecoder.segment(from: packet) {
        case .success(let s): segment = s
        case .failure(let skip):
            statistics.skipped[skip.rawValue, default: 0] += 1
            return []
        }
        if let port = options.port, segment.source.port != port && segment.destination.port != port { return [] }
        statistics.tcpSegments += 1
        let key = ConnectionKey(segment.source, segment.destination)
        var records: [DecodeRecord] = []
        // A SYN on a finished flow is a new connection on the same ports.
        if segment.syn && !segment.ack, flows[key]?.finished == true { records += close(key, at: packet.timestamp) }
        if flows[key] == nil {
            guard !segment.rst, segment.syn || !segment.payload.isEmpty else { return records }
            // The SYN sender is the client; mid-stream, the sender of a request line, else the higher port.
            let sourceIsClient = segment.syn ? !segment.ack
                : segment.payload.starts(with: Array("GET ".utf8)) || (segment.source.port > segment.destination.port && !segment.payload.starts(with: Array("HTTP/".utf8)))
            let (client, server) = sourceIsClient ? (segment.source, segment.destination) : (segment.destination, segment.source)
            flows[key] = Flow(session: SessionDecoder(id: nextID, client: client, server: server, start: packet.timestamp,
                                                      maxPayload: options.maxPayload, maxMessageBytes: options.maxMessageBytes),
                         last: packet.timestamp)
            nextID += 1
            statistics.connections += 1
        }
        var flow = flows[key]!
        flows[key] = nil   // unique while it mutates
        let direction: Direction = segment.source == flow.session.client ? .c2s : .s2c
        let wasWebSocket = flow.session.isWebSocket
        let chunks = flow.reassembly[direction]!.accept(sequence: segment.sequence, syn: segment.syn, payload: segment.payload,
                                                        at: packet.timestamp)
        for chunk in chunks {
            if case .data(let bytes) = chunk { flow.bytes[direction, default: 0] += bytes.count }
            records += flow.session.feed(chunk, direction: direction, at: packet.timestamp, secrets: secrets)
        }
        if segment.fin || segment.rst {
            for chunk in flow.reassembly[direction]!.flush() { records += flow.session.feed(chunk, direction: direction, at: packet.timestamp, secrets: secrets) }
        }
        if !wasWebSocket && flow.session.isWebSocket { statistics.webSocketConnections += 1 }
        flow.violations += records.filter { if case .violation = $0 { return true }; return false }.count
        flow.last = packet.timestamp
        if segment.rst || (segment.fin && flow.finishedBothWays(after: direction)) { flow.finished = true }
        flows[key] = flow
        return records + releaseStaleHolds(at: packet.timestamp)
    }

    /// Live: flows whose held bytes waited longer than `maxHoldNanoseconds` for a lost segment go on
    /// without it (looked at every tenth of the hold, over every flow).
    private mutating func releaseStaleHolds(at now: Int64) -> [DecodeRecord] {
        guard let hold = options.maxHoldNanoseconds, now - lastHoldCheck >= hold / 10 else { return [] }
        lastHoldCheck = now
        var records: [DecodeRecord] = []
        for key in flows.keys {
            guard var flow = flows[key], flow.reassembly.values.contains(where: { $0.holdingSince.map { $0 < now - hold } ?? false }) else { continue }
            flows[key] = nil
            var released: [DecodeRecord] = []
            for direction in [Direction.c2s, .s2c] {
                for chunk in flow.reassembly[direction]!.releaseHeld(before: now - hold) {
                    released += flow.session.feed(chunk, direction: direction, at: now, secrets: secrets)
                }
            }
            flow.violations += released.filter { if case .violation = $0 { return true }; return false }.count
            flows[key] = flow
            records += released
        }
        return records
    }

    private mutating func close(_ key: ConnectionKey, at timestamp: Int64) -> [DecodeRecord] {
        guard var flow = flows.removeValue(forKey: key) else { return [] }
        var records: [DecodeRecord] = []
        for direction in [Direction.c2s, .s2c] {
            for chunk in flow.reassembly[direction]!.flush() { records += flow.session.feed(chunk, direction: direction, at: timestamp, secrets: secrets) }
        }
        let closing = records + flow.session.finish(at: timestamp, reassembly: flow.reassembly, secrets: secrets)
        flow.violations += closing.filter { if case .violation = $0 { return true }; return false }.count
        return closing.map { record -> DecodeRecord in
            guard case .summary(var summary) = record else { return record }
            summary.violations = flow.violations
            summary.bytes = Dictionary(uniqueKeysWithValues: flow.bytes.map { ($0.key.rawValue, $0.value) })
            return .summary(summary)
        }
    }
}

