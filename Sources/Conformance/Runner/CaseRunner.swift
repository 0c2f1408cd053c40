import Foundation
import WebSocketCore

/// Runs one case: against a server, as a client built on the core that can also send deliberately
/// wrong bytes; or (`runAsServer`) as the server side of the same case, for a client under test.
/// Either way it judges what comes back.
public struct CaseRunner: Sendable {
    public struct Target: Sendable {
        public var host: String
        public var port: Int
        public var path: String

        /// `ws://HOST:PORT/PATH`.
        public init(url: String) throws {
            guard url.hasPrefix("ws://") else { throw ConformanceError.badTarget("\(url): only ws:// URLs are supported") }
            let rest = url.dropFirst(5)
            let authority = rest.prefix { $0 != "/" }
            path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
            if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<end])
                port = Int(authority[authority.index(after: end)...].dropFirst()) ?? 80
            } else {
                let parts = authority.split(separator: ":", maxSplits: 1)
                host = String(parts.first ?? "localhost")
                port = parts.count > 1 ? Int(parts[1]) ?? 80 : 80
            }
            guard (1...65535).contains(port) else { throw ConformanceError.badTarget("\(url): bad port") }
        }

        var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The server under test; nil when this runner plays the server side (`runAsServer`).
    public let target: Target?
    /// Seconds each expectation waits.
    public let timeout: Double
    /// Fixtures/ for `{"file": …}` payloads.
    public let fixtures: URL?

    public init(target: Target?, timeout: Double = 5, fixtures: URL? = nil) {
        self.target = target
        self.timeout = timeout
        self.fixtures = fixtures
    }

    /// Whether a TCP connection to the target can be opened at all.
    public static func reachable(_ target: Target) -> Bool {
        (try? RawSocket(host: target.host, port: target.port)) != nil
    }

    /// Runs the case; never throws (a broken case is a FAILED result with the reason).
    public func run(_ item: ConformanceCase, seed: UInt64 = 1) -> CaseResult {
        var execution = Execution(item: item, runner: self, side: .client, random: Self.random(item, seed))
        let start = Date()
        return result(of: item, execution.run(), execution.log, since: start)
    }

    /// Plays the server side of `item` on a connection whose handshake was answered: frames the
    /// case sends go out unmasked (the case's deliberately unmasked frames go out masked, the
    /// mirror violation of RFC 6455 §5.1), and the client under test is judged as the server would be.
    func runAsServer(_ item: ConformanceCase, socket: RawSocket, session: ServerSession, opened: SessionOutput, seed: UInt64 = 1) -> CaseResult {
        var execution = Execution(item: item, runner: self, side: .server, random: Self.random(item, seed))
        execution.socket = socket
        execution.session = session
        execution.absorb(opened)
        let start = Date()
        return result(of: item, execution.runSteps(), execution.log, since: start)
    }

    private static func random(_ item: ConformanceCase, _ seed: UInt64) -> SeededRandom {
        SeededRandom(seed: seed &+ UInt64(abs(item.id.hashValue % 1_000_000)))
    }

    private func result(of item: ConformanceCase, _ verdict: (Outcome, String), _ log: [WireEntry], since start: Date) -> CaseResult {
        let (outcome, reason) = verdict
        var final = outcome
        if item.informational == true && outcome != .failed { final = .informational }
        return CaseResult(id: item.id, group: item.group, title: item.title, section: item.section, outcome: final, reason: reason,
                          override: nil, durationMs: Date().timeIntervalSince(start) * 1000, log: log)
    }
}

private extension ConnectionEvent {
    var isMessage: Bool { if case .message = self { true } else { false } }
}

/// The state of one case while it runs.
private struct Execution {
    enum Side { case client, server }
    let item: ConformanceCase
    let runner: CaseRunner
    let side: Side
    var random: SeededRandom
    var socket: RawSocket?
    var session: (any WebSocketSession)?
    var handshake: ClientHandshakeResult?
    var events: [ConnectionEvent] = []
    var lastSent: Message?
    var log: [WireEntry] = []
    let start = Date()
    var outcome: Outcome = .ok
    var reasons: [String] = []
    var peerClosed = false
    var closeSeen: CloseCode?? = nil

    init(item: ConformanceCase, runner: CaseRunner, side: Side, random: SeededRandom) {
        self.item = item
        self.runner = runner
        self.side = side
        self.random = random
    }

    /// Client side: connects to the target, then runs the steps (the first one triggers the handshake).
    mutating func run() -> (Outcome, String) {
        guard let target = runner.target else { return (.failed, "no target") }
        do {
            socket = try RawSocket(host: target.host, port: target.port)
        } catch {
            return (.failed, "\(error)")
        }
        return runSteps()
    }

    mutating func runSteps() -> (Outcome, String) {
        for step in item.steps {
            do {
                try perform(step)
            } catch let stop as Stop {
                judge(stop.outcome, stop.reason)
                return finish()
            } catch {
                judge(.failed, "\(error)")
                return finish()
            }
        }
        // Leave cleanly when the case did not end the connection itself.
        if session?.state == .open, !peerClosed {
            if let output = try? session?.close(code: .normalClosure, reason: "") {
                try? write(output.outbound, chop: nil)
            }
            _ = try? readUntil(deadline: Date().addingTimeInterval(0.5)) { $0.closeSeen != nil }
        }
        return finish()
    }

    private mutating func finish() -> (Outcome, String) {
        if let after = session?.bytesAfterClose, after > 0 {
            let rule = session?.version?.framing == .hixie ? "draft-hixie-76 §5.3" : "RFC 6455 §5.5.1"
            judge(.failed, "sent \(after) bytes after its close: nothing may follow it (\(rule))")
        }
        return (outcome, reasons.isEmpty ? "as expected" : reasons.joined(separator: "; "))
    }

    private mutating func judge(_ new: Outcome, _ reason: String) {
        if new > outcome { outcome = new }
        if new != .ok { reasons.append(reason) }
    }

    struct Stop: Error { let outcome: Outcome; let reason: String }

    // MARK: Steps

    private mutating func perform(_ step: ConformanceCase.Step) throws {
        if let status = step.expectStatus { return try expectStatus(status, alternatives: step.orStatus ?? [], dropAllowed: step.expectDrop == true) }
        try ensureHandshake()
        if let upgrade = step.expectUpgrade { return try expectUpgrade(upgrade) }
        if let frame = step.send { return try write(frameBytes(frame), chop: step.chop) }
        if let frames = step.sendBatch { return try write(frames.flatMap { try frameBytes($0) }, chop: step.chop) }
        if let message = step.sendMessage { return try sendMessage(message, chop: step.chop) }
        if let raw = step.sendRaw { return try write(raw.bytes(fixtures: runner.fixtures), chop: step.chop) }
        if let pause = step.pause {
            Thread.sleep(forTimeInterval: pause)
            return
        }
        if let message = step.expectMessage { return try expectMessage(message, next: step.next == true) }
        if let pong = step.expectPong { return try expectPong(pong.bytes(fixtures: runner.fixtures), next: step.next == true) }
        if let codes = step.expectClose {
            return try expectClose(codes, dropAllowed: step.expectDrop ?? true, lenient: Set(step.lenient ?? []), next: step.next == true)
        }
        if step.expectDrop == true { return try expectDrop() }
        if let code = step.close { return try close(code, reason: step.reason ?? "") }
        throw ConformanceError.badCase("step with nothing to do")
    }

    private mutating func ensureHandshake() throws {
        if side == .server { return }  // the server shell answered the handshake already
        guard handshake == nil else {
            if case .rejected(let error, _)? = handshake { throw Stop(outcome: .failed, reason: "handshake refused: \(error.reason)") }
            return
        }
        try doHandshake()
        switch handshake {
        case .accepted(let accepted)?:
            if item.handshake?.requireDeflate == true && accepted.deflate == nil {
                throw Stop(outcome: .unimplemented, reason: "the server declined permessage-deflate")
            }
        case .rejected(let error, let head)? where (item.handshake?.version ?? "rfc6455") != "rfc6455" && head?.status != 101:
            // RFC 6455 §4.4: a server need not speak older drafts; refusing them is not a failure
            // (but answering 101 and then getting the draft's handshake wrong is).
            throw Stop(outcome: .unimplemented, reason: "the server does not speak \(item.handshake?.version ?? ""): \(error.reason)")
        case .rejected(let error, let head)?:
            throw Stop(outcome: .failed, reason: "handshake refused: \(error.reason)\(head.map { " (HTTP \($0.status))" } ?? "")")
        default:
            throw Stop(outcome: .failed, reason: "no handshake answer")
        }
    }

    private mutating func doHandshake() throws {
        guard let target = runner.target else { throw ConformanceError.badCase("a handshake case played from the server side") }
        let options = item.handshake
        let version = ProtocolVersion(rawValue: options?.version ?? "rfc6455") ?? .rfc6455
        // Offers are sent as written; the ones that parse are what the answer is checked against
        // (a server must decline the others, RFC 7692 §7.1).
        let offerHeaders = options?.offers ?? []
        let offers = offerHeaders.flatMap { header in ((try? ExtensionHeader.parse([header])) ?? []).compactMap { try? DeflateParameters($0) } }
        var rawRequestText: String?
        if let raw = options?.rawRequest {
            rawRequestText = String(decoding: try raw.bytes(fixtures: runner.fixtures), as: UTF8.self)
                .replacingOccurrences(of: "{HOST}", with: target.hostHeader).replacingOccurrences(of: "{PATH}", with: target.path)
        }
        // A raw request's own key is the one the answer must match.
        let rawKey = rawRequestText.flatMap { text in
            text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }
                .map { String($0.dropFirst("sec-websocket-key:".count)).trimmingCharacters(in: .whitespaces) }
        }
        var configuration = ClientHandshakeConfiguration(
            version: version, host: target.hostHeader, target: target.path, origin: options?.origin,
            subprotocols: options?.subprotocols ?? [], deflateOffers: offers,
            extraHeaders: (options?.headers ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil },
            fixedKeys: .init(key: rawKey, key1: options?.key1, key2: options?.key2, key3: try options?.key3?.bytes(fixtures: runner.fixtures)))
        if !offerHeaders.isEmpty { configuration.rawExtensionOffer = offerHeaders.joined(separator: ", ") }
        // Inflated within the window the server agreed to (RFC 7692 §7.1.2.1), not merely
        // whatever zlib can resolve.
        configuration.deflate.verifiesPeerWindow = true
        var client = ClientSession(configuration: configuration, limits: ConnectionLimits(maxFrameSize: 64 << 20, maxMessageSize: 64 << 20),
                                   random: SeededRandom(seed: random.next()))
        var request = client.request
        if let text = rawRequestText { request = Array(text.utf8) }
        if let extra = options?.appendToRequest { request += try extra.bytes(fixtures: runner.fixtures) }
        do {
            try write(request, chop: options?.requestChop)
        } catch {
            handshake = .rejected(.malformedResponse("connection closed while the request was written"), nil)
            peerClosed = true
            return
        }
        let deadline = Date().addingTimeInterval(runner.timeout)
        while Date() < deadline {
            guard let bytes = socket!.read(until: deadline) else {
                handshake = .rejected(.malformedResponse("connection closed during the handshake"), nil)
                peerClosed = true
                return
            }
            if bytes.isEmpty { continue }
            note("in", bytes)
            let output = client.receive(bytes)
            switch output.handshake {
            case nil:
                continue
            case .opened(let accepted)?:
                handshake = .accepted(accepted)
                session = client
                absorb(output)
                return
            case .failed(let error, let head)?:
                handshake = .rejected(error, head)
                return
            case .request?, .plainHTTP?:
                handshake = .rejected(.malformedResponse("a server's event on the client side"), nil)
                return
            }
        }
        handshake = .rejected(.malformedResponse("no answer within \(runner.timeout) s"), nil)
    }

    private mutating func expectStatus(_ status: Int, alternatives: [Int], dropAllowed: Bool) throws {
        if handshake == nil { try doHandshake() }
        switch handshake {
        case .rejected(_, nil)? where dropAllowed && peerClosed:
            return  // the connection aborted without an answer, which the case allows
        case .rejected(.unexpectedStatus(let got), _)? where got == status || alternatives.contains(got):
            return
        case .rejected(.unexpectedStatus(let got), _)?:
            let outcome: Outcome = (got / 100 == status / 100) ? .nonStrict : .failed
            throw Stop(outcome: outcome, reason: "answered HTTP \(got), expected \(status)")
        case .accepted?:
            throw Stop(outcome: .failed, reason: "upgraded (101), expected HTTP \(status)")
        case .rejected(let error, let head)? where (item.handshake?.version ?? "rfc6455").hasPrefix("hixie") && head?.status != 101:
            throw Stop(outcome: .unimplemented, reason: "the server does not speak \(item.handshake?.version ?? ""): \(error.reason)")
        case .rejected(let error, _)?:
            throw Stop(outcome: .failed, reason: "expected HTTP \(status): \(error.reason)")
        default:
            throw Stop(outcome: .failed, reason: "no answer")
        }
    }

    private func expectUpgrade(_ expectation: ConformanceCase.UpgradeExpectation) throws {
        if side == .server { return }  // the server side chose the answer itself
        guard case .accepted(let accepted)? = handshake else { throw Stop(outcome: .failed, reason: "not upgraded") }
        if let version = expectation.version, accepted.version.rawValue != version {
            throw Stop(outcome: .failed, reason: "upgraded as \(accepted.version.rawValue), expected \(version)")
        }
        if let subprotocol = expectation.subprotocol, accepted.subprotocol != subprotocol {
            throw Stop(outcome: .failed, reason: "subprotocol \(accepted.subprotocol ?? "none"), expected \(subprotocol)")
        }
        let answer = accepted.response.headers.values("Sec-WebSocket-Extensions").joined(separator: ", ")
        if expectation.noExtension == true && !answer.isEmpty {
            throw Stop(outcome: .failed, reason: "answered extensions '\(answer)' where none could be accepted")
        }
        for parameter in expectation.extensionContains ?? [] where !answer.contains(parameter) {
            if answer.isEmpty { throw Stop(outcome: .unimplemented, reason: "permessage-deflate declined") }
            throw Stop(outcome: .failed, reason: "answer '\(answer)' lacks \(parameter)")
        }
    }

    /// The bytes of one frame as the case describes it.
    private mutating func frameBytes(_ spec: ConformanceCase.FrameSpec) throws -> [UInt8] {
        var payload = try spec.payload?.bytes(fixtures: runner.fixtures) ?? []
        if spec.deflate == true { payload = try Deflater(windowBits: 15).compress(payload) }
        // A client masks every frame and a server none (§5.1); `none` in a case is the violation,
        // which the server side mirrors by masking.
        let violationKey = UInt32(truncatingIfNeeded: random.next())
        var key: UInt32? = side == .client ? violationKey : nil
        switch spec.mask {
        case "none"?: key = side == .client ? nil : violationKey
        case let hex? where hex != "random": key = UInt32(hex, radix: 16)
        default: break
        }
        var header = FrameHeader(fin: spec.fin ?? true, rsv1: spec.rsv1 ?? false, rsv2: spec.rsv2 ?? false, rsv3: spec.rsv3 ?? false,
                                 opcode: spec.opcode.opcode, maskingKey: key, payloadLength: UInt64(payload.count))
        switch spec.length {
        case "16"?: header.lengthEncoding = .extended16
        case "64"?: header.lengthEncoding = .extended64
        case let value? where value != "minimal":
            guard let announced = UInt64(value) else { throw ConformanceError.badCase("length \(value)") }
            header.payloadLength = announced
            header.lengthEncoding = FrameHeader.minimalEncoding(for: announced)
        default: break
        }
        if [.text, .binary].contains(spec.opcode.opcode) && spec.fin != false {
            lastSent = spec.opcode.opcode == .text ? .text(String(decoding: spec.deflate == true ? (try spec.payload?.bytes(fixtures: runner.fixtures) ?? []) : payload, as: UTF8.self))
                                                   : .binary(payload)
        }
        return FrameEncoder.encode(header, payload: payload)
    }

    private mutating func sendMessage(_ spec: ConformanceCase.MessageSpec, chop: Int?) throws {
        let message = try makeMessage(spec)
        guard session != nil else { throw ConformanceError.badCase("no connection") }
        let bytes = try session!.send(message, fragmentSize: spec.fragmentSize)
        lastSent = message
        try write(bytes, chop: chop)
    }

    private func makeMessage(_ spec: ConformanceCase.MessageSpec) throws -> Message {
        if let text = spec.text { return .text(text) }
        if let bytes = spec.textBytes { return .text(String(decoding: try bytes.bytes(fixtures: runner.fixtures), as: UTF8.self)) }
        if let binary = spec.binary { return .binary(try binary.bytes(fixtures: runner.fixtures)) }
        throw ConformanceError.badCase("message without content")
    }

    private mutating func expectMessage(_ spec: ConformanceCase.MessageSpec, next: Bool) throws {
        let expected = spec.echo == true || (spec.text == nil && spec.textBytes == nil && spec.binary == nil) ? lastSent : try makeMessage(spec)
        guard let expected else { throw ConformanceError.badCase("expectMessage before anything was sent") }
        let got = try readUntil(deadline: Date().addingTimeInterval(runner.timeout)) { $0.firstMessage != nil || $0.closeSeen != nil || $0.peerClosed }
        guard got, let message = firstMessage else {
            if let code = closeSeen, let value = code.map({ Int($0.rawValue) }), spec.orClose?.contains(value) == true {
                throw Stop(outcome: .informational, reason: "closed with \(value) instead of echoing (the case allows it: a limit of the server, or a close it answered first)")
            }
            if let code = closeSeen { throw Stop(outcome: .failed, reason: "closed (\(code.map { String($0.rawValue) } ?? "no code")) instead of echoing") }
            if peerClosed { throw Stop(outcome: .failed, reason: "dropped the connection instead of echoing") }
            throw Stop(outcome: .failed, reason: "no message within \(runner.timeout) s")
        }
        if next, let first = events.first, !first.isMessage {
            throw Stop(outcome: .failed, reason: "\(describe(first)) came before the message \(describe(expected)): answers leave in the order of what caused them (RFC 6455 §5.4, §5.5.2)")
        }
        removeFirstMessage()
        if message != expected {
            throw Stop(outcome: .failed, reason: "echo differs: got \(describe(message)), expected \(describe(expected))")
        }
    }

    private mutating func expectPong(_ payload: [UInt8], next: Bool) throws {
        _ = try readUntil(deadline: Date().addingTimeInterval(runner.timeout)) { execution in
            execution.events.contains { if case .pong = $0 { return true }; return false } || execution.closeSeen != nil || execution.peerClosed
        }
        guard let index = events.firstIndex(where: { if case .pong = $0 { return true }; return false }), case .pong(let got) = events[index] else {
            throw Stop(outcome: .failed, reason: closeSeen != nil || peerClosed ? "closed instead of answering the ping" : "no pong within \(runner.timeout) s")
        }
        if next, index > 0 {
            throw Stop(outcome: .failed, reason: "\(describe(events[0])) came before the pong: a ping is answered before anything received after it (RFC 6455 §5.4, §5.5.2)")
        }
        events.remove(at: index)
        if got != payload { throw Stop(outcome: .failed, reason: "pong payload of \(got.count) bytes differs from the ping's \(payload.count)") }
    }

    private mutating func expectClose(_ codes: [Int], dropAllowed: Bool, lenient: Set<String>, next: Bool) throws {
        _ = try readUntil(deadline: Date().addingTimeInterval(runner.timeout)) { $0.closeSeen != nil || $0.peerClosed || $0.firstMessage != nil }
        if next, closeSeen != nil, let first = events.first {
            throw Stop(outcome: .failed, reason: "\(describe(first)) came before the close: it answers something received before the close and must precede it (RFC 6455 §5.5.2, §5.5.1)")
        }
        if let message = firstMessage {
            let reason = "accepted the input and answered \(describe(message)) instead of failing the connection"
            throw Stop(outcome: lenient.contains("echo") ? .nonStrict : .failed, reason: reason)
        }
        if let code = closeSeen {
            let value = code.map { Int($0.rawValue) }
            if codes.isEmpty || value.map(codes.contains) == true { return }
            if value == 1000 && !codes.contains(1000) {
                // A normal closure where the case expects the connection failed: the server took
                // the bad input as valid (e.g. answered an invalid close code, §7.4.1).
                throw Stop(outcome: .failed, reason: "closed normally (1000), expected a failure with \(codes.map(String.init).joined(separator: "/"))")
            }
            judge(.nonStrict, "closed with \(value.map(String.init) ?? "no code"), expected \(codes.map(String.init).joined(separator: "/"))")
            return
        }
        if peerClosed {
            if dropAllowed { judge(.nonStrict, "dropped TCP without a close frame (expected close \(codes.map(String.init).joined(separator: "/")))") ; return }
            throw Stop(outcome: .failed, reason: "dropped TCP without a close frame")
        }
        if lenient.contains("timeout") { throw Stop(outcome: .nonStrict, reason: "did not fail within \(runner.timeout) s (not fail-fast)") }
        throw Stop(outcome: .failed, reason: "no close within \(runner.timeout) s")
    }

    private mutating func expectDrop() throws {
        _ = try readUntil(deadline: Date().addingTimeInterval(runner.timeout)) { $0.peerClosed }
        if !peerClosed { throw Stop(outcome: .failed, reason: "the connection stayed open") }
    }

    private mutating func close(_ code: Int, reason: String) throws {
        guard session != nil else { return }
        let output = try session!.close(code: CloseCode(UInt16(code)), reason: reason)
        try write(output.outbound, chop: nil)
        _ = try readUntil(deadline: Date().addingTimeInterval(runner.timeout)) { $0.closeSeen != nil || $0.peerClosed }
        if closeSeen == nil && !peerClosed { throw Stop(outcome: .failed, reason: "no answer to our close within \(runner.timeout) s") }
        if closeSeen == nil, session?.version == .hixie76 {
            // draft-hixie-76 §5.3: a server that reads 0xFF 0x00 sends 0xFF 0x00 back before it closes.
            throw Stop(outcome: .failed, reason: "closed TCP without sending 0xFF 0x00 back: the server must answer the closing handshake (draft-hixie-76 §5.3)")
        }
        if closeSeen == nil { judge(.nonStrict, "dropped TCP without answering our close") }
    }

    // MARK: Reading

    private var firstMessage: Message? {
        for event in events { if case .message(let m) = event { return m } }
        return nil
    }

    private mutating func removeFirstMessage() {
        if let index = events.firstIndex(where: { if case .message = $0 { return true }; return false }) { events.remove(at: index) }
    }

    /// Reads and decodes until `done` holds or the deadline passes; answers pings (the core does).
    private mutating func readUntil(deadline: Date, _ done: (Execution) -> Bool) throws -> Bool {
        while !done(self) {
            if peerClosed || Date() >= deadline { return done(self) }
            guard let bytes = socket?.read(until: min(deadline, Date().addingTimeInterval(0.2))) else {
                peerClosed = true
                note("note", Array("TCP closed by the peer".utf8))
                continue
            }
            if !bytes.isEmpty {
                note("in", bytes)
                consume(bytes)
            }
        }
        return true
    }

    private mutating func consume(_ bytes: [UInt8]) {
        guard session != nil else { return }
        absorb(session!.receive(bytes))
    }

    /// What the session made of some bytes: its answers written (pongs, our half of the close),
    /// its events kept for the expectations.
    mutating func absorb(_ output: SessionOutput) {
        if !output.outbound.isEmpty { try? write(output.outbound, chop: nil) }
        for event in output.events {
            switch event {
            case .closeReceived(let code, _): closeSeen = .some(code)
            case .failed(let error):
                judge(.failed, "the peer broke a rule: \(error.identifier) (\(error.section)): \(error.reason)")
                peerClosed = true
            case .ping, .transportEnded: break
            default: events.append(event)
            }
        }
    }

    private mutating func write(_ bytes: [UInt8], chop: Int?) throws {
        guard !bytes.isEmpty else { return }
        note("out", bytes)
        do {
            try socket?.write(bytes, chop: chop)
        } catch {
            // The peer stopped reading: it may have failed the connection part-way through a large
            // frame (a size limit, §10.4). What it said before closing is judged by the next
            // expectation, not lost to this write's error.
            note("note", Array("write stopped: the peer closed the connection".utf8))
        }
    }

    private mutating func note(_ direction: String, _ bytes: [UInt8]) {
        // The log stays readable (and reports small) on cases that exchange thousands of frames.
        guard log.count < 120 else {
            if log.count == 120 { log.append(WireEntry(time: Date().timeIntervalSince(start) * 1000, direction: "note", hex: "", text: "… (log cut at 120 entries)")) }
            return
        }
        let shown = bytes.prefix(160)
        let hex = shown.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
            + (bytes.count > 160 ? " … (\(bytes.count) bytes)" : "")
        let text = String(decoding: shown.map { (0x20..<0x7F).contains($0) || $0 == 0x0A ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
        log.append(WireEntry(time: Date().timeIntervalSince(start) * 1000, direction: direction, hex: hex, text: text))
    }

    private func describe(_ event: ConnectionEvent) -> String {
        switch event {
        case .message(let message): return "the message \(describe(message))"
        case .pong(let payload): return "a pong of \(payload.count) bytes"
        case .ping: return "a ping"
        case .closeReceived: return "a close"
        case .failed: return "a failure"
        case .transportEnded: return "the end of TCP"
        }
    }

    private func describe(_ message: Message) -> String {
        switch message {
        case .text(let text): return "text of \(text.utf8.count) bytes" + (text.utf8.count <= 40 ? " \"\(text)\"" : "")
        case .binary(let bytes): return "binary of \(bytes.count) bytes"
        }
    }
}
