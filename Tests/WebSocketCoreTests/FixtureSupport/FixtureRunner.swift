import Foundation
import WebSocketCore

/// Runs fixtures through the core. Each kind turns its input into an `Observation` (named,
/// normalised strings); the fixture's `expect` is normalised the same way and compared key by key,
/// and the split-at-every-byte test compares observations of whole and split inputs.
typealias Observation = [String: String]

enum FixtureRunner {
    /// How the input is cut into reads.
    typealias Splitter = @Sendable ([UInt8]) -> [[UInt8]]
    static let whole: Splitter = { [$0] }

    /// The kinds whose input is a byte stream, and so can be split.
    static let streamKinds: Set<String> = ["frames", "hixie-frames", "server-handshake", "client-handshake", "utf8"]

    /// `lending`: also read `frames` and `hixie-frames` through the lending read and require the
    /// same (whole and byte by byte; the two-read splits leave it out, it would double their cost).
    static func observe(_ fixture: Fixture, split: Splitter = whole, lending: Bool = true) throws -> Observation {
        switch fixture.kind {
        case "frames", "hixie-frames": return try observeConnection(fixture, split: split, lending: lending)
        case "send": return try observeSend(fixture)
        case "server-handshake": return try observeServerHandshake(fixture, split: split)
        case "client-handshake": return try observeClientHandshake(fixture, split: split)
        case "accept-key":
            return ["accept": AcceptKey.compute(forKey: fixture.json["key"]?.string ?? "")]
        case "hixie-challenge": return try observeHixieChallenge(fixture)
        case "deflate-compress": return try observeCompress(fixture)
        case "extension-negotiation": return try observeNegotiation(fixture)
        case "utf8":
            let input = try fixture.bytes("input") ?? []
            var validator = UTF8Validator()
            var valid = true
            for chunk in split(input) where valid { valid = validator.feed(chunk) }
            return ["valid": String(valid && validator.isComplete)]
        default:
            throw FixtureError("unknown fixture kind '\(fixture.kind)' (\(fixture.json["error"]?.string ?? ""))")
        }
    }

    /// The fixture's `expect`, normalised like an observation.
    static func expected(_ fixture: Fixture) throws -> Observation {
        guard let expect = fixture.json["expect"]?.object else { throw FixtureError("no 'expect'") }
        var result: Observation = [:]
        for (key, value) in expect {
            switch key {
            case "events":
                result[key] = try (value.array ?? []).map { try normalise(expectedEvent: $0, fixture) }.joined(separator: "\n")
            case "outbound", "response", "leftover", "answer", "request", "bytes":
                result[key] = digest(try fixture.bytes(value))
            case "sent":
                result[key] = (value.array ?? []).compactMap(\.string).joined(separator: "\n")
            case "outputs":
                result[key] = try (value.array ?? []).map { digest(try fixture.bytes($0)) }.joined(separator: "|")
            case "responseHeaders":
                for (name, headerValue) in value.object ?? [:] {
                    result["header:" + name.lowercased()] = headerValue.string ?? "(absent)"
                }
            case "deflate":
                result[key] = value == .null ? "none" : describe(agreementJSON: value)
            default:
                switch value {
                case .string(let s): result[key] = s
                case .number(let n): result[key] = String(Int(n))
                case .bool(let b): result[key] = String(b)
                case .null: result[key] = "none"
                default: result[key] = value.description
                }
            }
        }
        return result
    }

    // MARK: Normalisation

    /// Long byte strings compare by length and hash so failures stay readable.
    static func digest(_ bytes: [UInt8]) -> String {
        if bytes.count <= 64 { return FixtureBytes.hex(bytes) }
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return "\(bytes.count) bytes, fnv1a \(String(hash, radix: 16))"
    }

    static func describe(_ event: ConnectionEvent) -> String {
        switch event {
        case .message(.text(let text)): return "text: " + (text.utf8.count <= 64 ? text : digest(Array(text.utf8)))
        case .message(.binary(let bytes)): return "binary: " + digest(bytes)
        case .ping(let bytes): return "ping: " + digest(bytes)
        case .pong(let bytes): return "pong: " + digest(bytes)
        case .closeReceived(let code, let reason): return "close: \(code.map { String($0.rawValue) } ?? "none") \(reason)"
        case .failed(let error): return "failed: \(error.identifier) \(error.closeCode.map { String($0.rawValue) } ?? "-")"
        case .transportEnded(let code): return "ended: \(code.rawValue)"
        }
    }

    static func normalise(expectedEvent value: JSONValue, _ fixture: Fixture) throws -> String {
        if let text = value["text"] {
            let bytes = try text.string.map { Array($0.utf8) } ?? fixture.bytes(text)
            return "text: " + (bytes.count <= 64 ? String(decoding: bytes, as: UTF8.self) : digest(bytes))
        }
        if let binary = value["binary"] { return "binary: " + digest(try fixture.bytes(binary)) }
        if let ping = value["ping"] { return "ping: " + digest(try fixture.bytes(ping)) }
        if let pong = value["pong"] { return "pong: " + digest(try fixture.bytes(pong)) }
        if let close = value["close"] {
            return "close: \(close.int.map(String.init) ?? "none") \(value["reason"]?.string ?? "")"
        }
        if let failed = value["failed"]?.string {
            return "failed: \(failed) \(value["code"]?.int.map(String.init) ?? "-")"
        }
        throw FixtureError("unknown expected event \(value)")
    }

    static func describe(agreementJSON value: JSONValue) -> String {
        "snct=\(value["serverNoContextTakeover"]?.bool ?? false) cnct=\(value["clientNoContextTakeover"]?.bool ?? false) "
            + "smwb=\(value["serverMaxWindowBits"]?.int ?? 15) cmwb=\(value["clientMaxWindowBits"]?.int ?? 15)"
    }

    static func describe(_ agreement: DeflateAgreement?) -> String {
        guard let a = agreement else { return "none" }
        return "snct=\(a.serverNoContextTakeover) cnct=\(a.clientNoContextTakeover) smwb=\(a.serverMaxWindowBits) cmwb=\(a.clientMaxWindowBits)"
    }

    // MARK: Kinds

    /// The connection a fixture describes (role, version, deflate agreement, masks): fixtures test
    /// the framing layer itself, below the sessions.
    static func connection(for fixture: Fixture) throws -> any WebSocketConnection {
        let role = Role(rawValue: fixture.json["role"]?.string ?? "server") ?? .server
        let limits = fixture.limits(fixture.json["limits"])
        if fixture.kind == "hixie-frames" || (fixture.json["version"]?.string ?? "").hasPrefix("hixie") {
            let version = ProtocolVersion(rawValue: fixture.json["version"]?.string ?? "hixie-76") ?? .hixie76
            return HixieConnection(role: role, version: version, limits: limits)
        }
        let context = fixture.deflateAgreement(fixture.json["deflate"]).map {
            DeflateContext(agreement: $0, role: role, configuration: fixture.deflateConfiguration(fixture.json["deflateConfiguration"]),
                           compressOutbound: fixture.json["deflate"]?["compressOutbound"]?.bool ?? true)
        }
        let masks = (fixture.json["masks"]?.array ?? []).compactMap { $0.string.flatMap { UInt64($0, radix: 16) } }
        let random: any RandomNumberGenerator = masks.isEmpty ? SeededRandom(seed: 1) : ScriptedRandom(masks)
        return RFC6455Connection(role: role, deflate: context, limits: limits, random: random)
    }

    static func observeConnection(_ fixture: Fixture, split: Splitter, lending compareLending: Bool) throws -> Observation {
        var connection = try Self.connection(for: fixture)
        // The same bytes through the lending read the gateway's echo uses: the same messages,
        // other events, answer bytes and state, whatever the fixture expects.
        var lending = try Self.connection(for: fixture)
        var scratch = InflateScratch()
        var events: [String] = []
        var outbound: [UInt8] = []
        var closeTransport = false
        var reported = (messages: [String](), others: [String]())
        var lent = (messages: [String](), others: [String](), answers: [UInt8](), closeTransport: false)
        for chunk in split(try fixture.bytes("input") ?? []) {
            let output = connection.receive(chunk)
            events += output.events.map(describe)
            outbound += output.outbound
            closeTransport = closeTransport || output.closeTransport
            for event in output.events {
                if case .message = event { reported.messages.append(describe(event)) } else { reported.others.append(describe(event)) }
            }
            guard compareLending else { continue }
            let lentOutput = chunk.withUnsafeBytes {
                lending.receive($0, scratch: &scratch) { delivery in
                    switch delivery {
                    case .message(let view): lent.messages.append(describe(.message(view.message())))
                    case .answer(let bytes): lent.answers += bytes
                    }
                }
            }
            lent.others += lentOutput.events.map(describe)
            lent.answers += lentOutput.outbound
            lent.closeTransport = lent.closeTransport || lentOutput.closeTransport
        }
        let lendingAgrees = lent.messages == reported.messages && lent.others == reported.others && lent.answers == outbound
            && lent.closeTransport == closeTransport && lending.state == connection.state
        guard !compareLending || lendingAgrees else {
            throw FixtureError("the lending read differs: messages \(lent.messages.count) vs \(reported.messages.count), "
                               + "events \(lent.others) vs \(reported.others), answers \(lent.answers.count) vs \(outbound.count) bytes")
        }
        return ["events": events.joined(separator: "\n"), "outbound": digest(outbound), "sent": sentFrames(outbound, connection),
                "closeTransport": String(closeTransport), "state": connection.state.rawValue]
    }

    /// The frames a connection wrote, one line each: "pong: 48 65", "close: 1002" (reason left out).
    static func sentFrames(_ outbound: [UInt8], _ connection: any WebSocketConnection) -> String {
        guard connection.version.framing == .rfc6455 else { return FixtureBytes.hex(outbound) }
        var buffer = ByteQueue(outbound)
        var parser = FrameParser()
        var lines: [String] = []
        var opcode = Opcode.text
        var payload: [UInt8] = []
        while let event = try? parser.next(&buffer) {
            switch event {
            case .header(let header): opcode = header.opcode; payload = []
            case .payload(let chunk): payload += chunk
            case .frameEnd:
                if opcode == .close {
                    lines.append("close: " + (payload.count >= 2 ? String(UInt16(payload[0]) << 8 | UInt16(payload[1])) : "none"))
                } else {
                    lines.append("\(opcode): " + digest(payload))
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `actions` in order: {"text"}, {"binary"}, {"ping"}, {"pong"}, {"close", "reason"}; the bytes
    /// they produce, or the first error.
    static func observeSend(_ fixture: Fixture) throws -> Observation {
        var connection = try Self.connection(for: fixture)
        var bytes: [UInt8] = []
        let fragmentSize = fixture.json["fragmentSize"]?.int
        do {
            for action in fixture.json["actions"]?.array ?? [] {
                if let text = action["text"]?.string {
                    bytes += try connection.send(.text(text), fragmentSize: fragmentSize)
                } else if let binary = action["binary"] {
                    bytes += try connection.send(.binary(try fixture.bytes(binary)), fragmentSize: fragmentSize)
                } else if let ping = action["ping"] {
                    bytes += try connection.ping(try fixture.bytes(ping))
                } else if let close = action["close"] {
                    let output = try connection.close(code: CloseCode(UInt16(close.int ?? 1000)), reason: action["reason"]?.string ?? "")
                    bytes += output.outbound
                }
            }
        } catch let error as WebSocketError {
            return ["bytes": digest(bytes), "error": error.identifier, "state": connection.state.rawValue]
        }
        return ["bytes": digest(bytes), "state": connection.state.rawValue]
    }

    static func observeServerHandshake(_ fixture: Fixture, split: Splitter) throws -> Observation {
        var handshake = ServerHandshake(configuration: fixture.serverConfiguration(fixture.json["config"]))
        var observation: Observation = ["result": "needMoreData"]
        var leftover: [UInt8] = []
        var decided = false
        var keepsReading = false   // after a rejection nothing more is read
        for chunk in split(try fixture.bytes("input") ?? []) {
            if decided { if keepsReading { leftover += chunk }; continue }
            switch handshake.receive(chunk) {
            case .needMoreData:
                continue
            case .notWebSocket(let head, let rest):
                observation = ["result": "notWebSocket", "path": head.path, "method": head.method]
                leftover += rest
                keepsReading = true
            case .accepted(let accepted):
                observation = ["result": "accepted", "version": accepted.version.rawValue,
                               "subprotocol": accepted.subprotocol ?? "none",
                               "extensions": accepted.deflate?.response.description ?? "none",
                               "response": digest(accepted.response)]
                observation.merge(headersObservation(accepted.response)) { $1 }
                leftover += accepted.leftover
                keepsReading = true
            case .rejected(let error, let response):
                observation = ["result": "rejected", "error": error.identifier, "status": String(error.httpStatus ?? 0),
                               "response": digest(response)]
                observation.merge(headersObservation(response)) { $1 }
            }
            decided = true
        }
        observation["leftover"] = digest(leftover)
        return observation
    }

    /// Each header of a response as "header:name" (lower-cased), so fixtures can check a subset.
    static func headersObservation(_ response: [UInt8]) -> Observation {
        var buffer = ByteQueue(response)
        var parser = HTTPHeadParser()
        guard let head = try? parser.parse(&buffer) else { return [:] }
        var result: Observation = [:]
        for field in head.headers { result["header:" + field.name.lowercased()] = field.value }
        return result
    }

    static func observeClientHandshake(_ fixture: Fixture, split: Splitter) throws -> Observation {
        let config = fixture.json["config"]
        var keys = ClientHandshakeConfiguration.FixedKeys()
        keys.key = config?["key"]?.string
        keys.key1 = config?["key1"]?.string
        keys.key2 = config?["key2"]?.string
        keys.key3 = try config?["key3"].map { try fixture.bytes($0) }
        let offers = try (config?["deflateOffers"]?.array ?? []).map { value -> DeflateParameters in
            guard let element = try ExtensionHeader.parse([value.string ?? ""]).first else { throw FixtureError("empty offer") }
            return try DeflateParameters(element)
        }
        let configuration = ClientHandshakeConfiguration(
            version: ProtocolVersion(rawValue: config?["version"]?.string ?? "rfc6455") ?? .rfc6455,
            host: config?["host"]?.string ?? "localhost", target: config?["target"]?.string ?? "/",
            origin: config?["origin"]?.string, subprotocols: config?["subprotocols"]?.array?.compactMap(\.string) ?? [],
            deflateOffers: offers, fixedKeys: keys)
        var random = SeededRandom(seed: 42)
        var handshake = ClientHandshake(configuration: configuration, random: &random)
        var observation: Observation = ["result": "needMoreData", "request": digest(handshake.request)]
        var leftover: [UInt8] = []
        var decided = false
        var keepsReading = false
        for chunk in split(try fixture.bytes("response") ?? []) {
            if decided { if keepsReading { leftover += chunk }; continue }
            switch handshake.receive(chunk) {
            case .needMoreData: continue
            case .accepted(let accepted):
                observation["result"] = "accepted"
                observation["subprotocol"] = accepted.subprotocol ?? "none"
                observation["deflate"] = describe(accepted.deflate)
                leftover += accepted.leftover
                keepsReading = true
            case .rejected(let error, let head):
                observation["result"] = "rejected"
                observation["error"] = error.identifier
                observation["status"] = head.map { String($0.status) } ?? "none"
            }
            decided = true
        }
        observation["leftover"] = digest(leftover)
        return observation
    }

    static func observeHixieChallenge(_ fixture: Fixture) throws -> Observation {
        var numbers: [UInt32] = []
        for name in ["key1", "key2"] {
            switch HixieChallenge.number(fromKey: fixture.json[name]?.string ?? "") {
            case .success(let n): numbers.append(n)
            case .failure(let problem): return ["error": problem.rawValue]
            }
        }
        let key3 = try fixture.bytes("key3") ?? []
        return ["answer": digest(HixieChallenge.answer(number1: numbers[0], number2: numbers[1], key3: key3)),
                "number1": String(numbers[0]), "number2": String(numbers[1])]
    }

    static func observeCompress(_ fixture: Fixture) throws -> Observation {
        let deflater = try Deflater(windowBits: fixture.json["windowBits"]?.int ?? 15)
        let reset = fixture.json["noContextTakeover"]?.bool ?? false
        var outputs: [String] = []
        for message in fixture.json["messages"]?.array ?? [] {
            outputs.append(digest(deflater.compress(try fixture.bytes(message))))
            if reset { deflater.reset() }
        }
        return ["outputs": outputs.joined(separator: "|")]
    }

    static func observeNegotiation(_ fixture: Fixture) throws -> Observation {
        let lines = fixture.json["offer"]?.array?.compactMap(\.string) ?? []
        do throws(WebSocketError) {
            let offers = try ExtensionHeader.parse(lines)
            let accepted = DeflateNegotiation.negotiate(offers: offers, configuration: fixture.deflateConfiguration(fixture.json["config"]))
            return ["extension": accepted?.response.description ?? "none", "deflate": describe(accepted?.agreement),
                    "compressOutbound": String(accepted?.compressOutbound ?? false)]
        } catch {
            return ["error": error.identifier, "status": String(error.httpStatus ?? 0)]
        }
    }
}
