import Foundation
import WebSocketCore

extension ConnectionEvent {
    var isMessage: Bool { if case .message = self { true } else { false } }
}

/// The state of one case while it runs.
struct Execution {
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

    mutating func finish() -> (Outcome, String) {
        if let after = session?.bytesAfterClose, after > 0 {
            let rule = session?.version?.framing == .hixie ? "draft-hixie-76 §5.3" : "RFC 6455 §5.5.1"
            judge(.failed, "sent \(after) bytes after its close: nothing may follow it (\(rule))")
        }
        return (outcome, reasons.isEmpty ? "as expected" : reasons.joined(separator: "; "))
    }

    mutating func judge(_ new: Outcome, _ reason: String) {
        if new > outcome { outcome = new }
        if new != .ok { reasons.append(reason) }
    }

    struct Stop: Error { let outcome: Outcome; let reason: String }

    // MARK: Steps

    mutating func perform(_ step: ConformanceCase.Step) throws {
        if let status = step.expectStatus { return try expectStatus(status, alternatives: step.orStatus ?? [], dropAllowed: step.expectDrop == true) }
        try ensureHandshake()
        if let upgrade = step.expectUpgrade { return try expectUpgrade(upgrade) }
        if let frame = step.send { return try write(frameBytes(frame), chop: step.chop) }
        if let frames = step.sendBatch { return try write(frames.flatMap { try frameBytes($0) }, chop: step.chop) }
        if let message = step.sendMessage { return try sendMessage(message, chop: step.chop) }
        if let raw = step.sendRaw { return try write(raw.bytes(relativeTo: item.folder), chop: step.chop) }
        if let pause = step.pause {
            Thread.sleep(forTimeInterval: pause)
            return
        }
        if let message = step.expectMessage { return try expectMessage(message, next: step.next == true) }
        if let pong = step.expectPong { return try expectPong(pong.bytes(relativeTo: item.folder), next: step.next == true) }
        if let codes = step.expectClose {
            return try expectClose(codes, dropAllowed: step.expectDrop ?? true, lenient: Set(step.lenient ?? []), next: step.next == true)
        }
        if step.expectDrop == true { return try expectDrop() }
        if let code = step.close { return try close(code, reason: step.reason ?? "") }
        throw ConformanceError.badCase("step with nothing to do")
    }
}
