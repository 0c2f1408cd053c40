import Foundation
import WebSocketCore

/// The opening handshake a case asks for, and the expectations about its answer.
extension Execution {
    mutating func ensureHandshake() throws {
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

    mutating func doHandshake() throws {
        guard let target = runner.target else { throw ConformanceError.badCase("a handshake case played from the server side") }
        let options = item.handshake
        let version = ProtocolVersion(rawValue: options?.version ?? "rfc6455") ?? .rfc6455
        // Offers are sent as written; the ones that parse are what the answer is checked against
        // (a server must decline the others, RFC 7692 §7.1).
        let offerHeaders = options?.offers ?? []
        let offers = offerHeaders.flatMap { header in ((try? ExtensionHeader.parse([header])) ?? []).compactMap { try? DeflateParameters($0) } }
        var rawRequestText: String?
        if let raw = options?.rawRequest {
            rawRequestText = String(decoding: try raw.bytes(relativeTo: item.folder), as: UTF8.self)
                .replacingOccurrences(of: "{HOST}", with: target.hostHeader).replacingOccurrences(of: "{PATH}", with: target.path)
        }
        // A raw request's own key is the one the answer must match (read with the core's head parser).
        let rawKey = rawRequestText.flatMap(Self.key(inRawRequest:))
        var configuration = ClientHandshakeConfiguration(
            version: version, host: target.hostHeader, target: target.path, origin: options?.origin,
            subprotocols: options?.subprotocols ?? [], deflateOffers: offers,
            extraHeaders: (options?.headers ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil },
            fixedKeys: .init(key: rawKey, key1: options?.key1, key2: options?.key2, key3: try options?.key3?.bytes(relativeTo: item.folder)))
        if !offerHeaders.isEmpty { configuration.rawExtensionOffer = offerHeaders.joined(separator: ", ") }
        // Inflated within the window the server agreed to (RFC 7692 §7.1.2.1), not merely
        // whatever zlib can resolve.
        configuration.deflate.verifiesPeerWindow = true
        var client = ClientSession(configuration: configuration, limits: ConnectionLimits(maxFrameSize: 64 << 20, maxMessageSize: 64 << 20),
                                   random: SeededRandom(seed: random.next()))
        var request = client.request
        if let text = rawRequestText { request = Array(text.utf8) }
        if let extra = options?.appendToRequest { request += try extra.bytes(relativeTo: item.folder) }
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

    /// The `Sec-WebSocket-Key` of a request written out by a case, if its head parses.
    private static func key(inRawRequest text: String) -> String? {
        var parser = HTTPHeadParser()
        var buffer = ByteQueue(Array(text.utf8))
        guard let head = try? parser.parse(&buffer), let request = try? HTTPHeadParser.requestHead(from: head) else { return nil }
        return request.headers.first("Sec-WebSocket-Key")
    }

    mutating func expectStatus(_ status: Int, alternatives: [Int], dropAllowed: Bool) throws {
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

    func expectUpgrade(_ expectation: ConformanceCase.UpgradeExpectation) throws {
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
}
