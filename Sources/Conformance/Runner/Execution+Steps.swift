import Foundation
import WebSocketCore

/// The steps that send frames and messages and expect the server's.
extension Execution {
    mutating func frameBytes(_ spec: ConformanceCase.FrameSpec) throws -> [UInt8] {
        var payload = try spec.payload?.bytes(relativeTo: item.folder) ?? []
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
            lastSent = spec.opcode.opcode == .text ? .text(String(decoding: spec.deflate == true ? (try spec.payload?.bytes(relativeTo: item.folder) ?? []) : payload, as: UTF8.self))
                                                   : .binary(payload)
        }
        return FrameEncoder.encode(header, payload: payload)
    }

    mutating func sendMessage(_ spec: ConformanceCase.MessageSpec, chop: Int?) throws {
        let message = try makeMessage(spec)
        guard session != nil else { throw ConformanceError.badCase("no connection") }
        let bytes = try session!.send(message, fragmentSize: spec.fragmentSize)
        lastSent = message
        try write(bytes, chop: chop)
    }

    func makeMessage(_ spec: ConformanceCase.MessageSpec) throws -> Message {
        if let text = spec.text { return .text(text) }
        if let bytes = spec.textBytes { return .text(String(decoding: try bytes.bytes(relativeTo: item.folder), as: UTF8.self)) }
        if let binary = spec.binary { return .binary(try binary.bytes(relativeTo: item.folder)) }
        throw ConformanceError.badCase("message without content")
    }

    mutating func expectMessage(_ spec: ConformanceCase.MessageSpec, next: Bool) throws {
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

    mutating func expectPong(_ payload: [UInt8], next: Bool) throws {
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

    mutating func expectClose(_ codes: [Int], dropAllowed: Bool, lenient: Set<String>, next: Bool) throws {
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

    mutating func expectDrop() throws {
        _ = try readUntil(deadline: Date().addingTimeInterval(runner.timeout)) { $0.peerClosed }
        if !peerClosed { throw Stop(outcome: .failed, reason: "the connection stayed open") }
    }

    mutating func close(_ code: Int, reason: String) throws {
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
}
