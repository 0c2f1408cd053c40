import Foundation
import WebSocketCore

/// Blocking reads through the case's session, and the wire log.
extension Execution {
    var firstMessage: Message? {
        for event in events { if case .message(let m) = event { return m } }
        return nil
    }

    mutating func removeFirstMessage() {
        if let index = events.firstIndex(where: { if case .message = $0 { return true }; return false }) { events.remove(at: index) }
    }

    /// Reads and decodes until `done` holds or the deadline passes; answers pings (the core does).
    mutating func readUntil(deadline: Date, _ done: (Execution) -> Bool) throws -> Bool {
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

    mutating func consume(_ bytes: [UInt8]) {
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

    mutating func write(_ bytes: [UInt8], chop: Int?) throws {
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

    mutating func note(_ direction: String, _ bytes: [UInt8]) {
        // The log stays readable (and reports small) on cases that exchange thousands of frames.
        guard log.count < 120 else {
            if log.count == 120 { log.append(WireEntry(time: Date().timeIntervalSince(start) * 1000, direction: "note", hex: "", text: "… (log cut at 120 entries)")) }
            return
        }
        let shown = bytes.prefix(160)
        let hex = Hex.encode(shown)
            + (bytes.count > 160 ? " … (\(bytes.count) bytes)" : "")
        let text = String(decoding: shown.map { (0x20..<0x7F).contains($0) || $0 == 0x0A ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
        log.append(WireEntry(time: Date().timeIntervalSince(start) * 1000, direction: direction, hex: hex, text: text))
    }

    func describe(_ event: ConnectionEvent) -> String {
        switch event {
        case .message(let message): return "the message \(describe(message))"
        case .pong(let payload): return "a pong of \(payload.count) bytes"
        case .ping: return "a ping"
        case .closeReceived: return "a close"
        case .failed: return "a failure"
        case .transportEnded: return "the end of TCP"
        }
    }

    func describe(_ message: Message) -> String {
        switch message {
        case .text(let text): return "text of \(text.utf8.count) bytes" + (text.utf8.count <= 40 ? " \"\(text)\"" : "")
        case .binary(let bytes): return "binary of \(bytes.count) bytes"
        }
    }
}
