/// The human-readable timeline: one line per record, indented under its connection.
public enum TimelineRenderer {
    public static func render(_ record: DecodeRecord, hex: Bool = false) -> String {
        switch record {
        case .connection(let c):
            var line = "\nconnection \(c.id)  \(c.client) → \(c.server)  \(c.version ?? "?")"
            if let path = c.path { line += "  \(path)" }
            if let e = c.extensions { line += "  [\(e)]" }
            if let s = c.subprotocol { line += "  subprotocol=\(s)" }
            if let t = c.tls, c.note?.hasPrefix("TLS") != true { line += "\n  wss: \(t), decrypted with the key log" }
            if let note = c.note { line += "\n  note: \(note)" }
            return line
        case .frame(let f):
            var parts = [time(f.time), f.direction.arrow, "frame", f.opcodeName]
            if let fin = f.fin { parts.append(fin ? "fin" : "more") }
            if let rsv = f.rsv, rsv != 0 { parts.append("rsv=\(rsv)") }
            if let key = f.maskingKey { parts.append("mask=\(key)") }
            parts.append("\(f.payloadLength) B")
            return "  " + parts.joined(separator: "  ")
        case .message(let m):
            var parts = [time(m.time), m.direction.arrow, m.kind.uppercased()]
            if m.kind == "close" {
                parts.append(m.closeCode.map(String.init) ?? "(no code)")
            }
            switch (m.compressed, m.length) {
            case (true, let length?): parts.append("\(m.wireLength) B → \(length) B inflated")
            case (true, nil): parts.append("\(m.wireLength) B compressed, content unknown")
            case (false, let length): parts.append("\(length ?? m.wireLength) B")
            }
            if let text = m.text, !text.isEmpty { parts.append(quoted(text) + (m.truncated ? "…" : "")) }
            if let h = m.hex, !h.isEmpty { parts.append((hex ? spaced(h) : h) + (m.truncated ? "…" : "")) }
            if let note = m.note { parts.append("(\(note))") }
            return "  " + parts.joined(separator: "  ")
        case .violation(let v):
            return "  \(time(v.time))  \(v.direction.arrow)  ⚠ \(v.rule) (\(v.section)): \(v.description)"
        case .gap(let g):
            return "  \(time(g.time))  \(g.direction.arrow)  … \(g.note)"
        case .summary(let s):
            let messages = "messages C→S \(s.messages["c2s"] ?? 0), S→C \(s.messages["s2c"] ?? 0)"
            let bytes = "bytes C→S \(s.bytes["c2s"] ?? 0), S→C \(s.bytes["s2c"] ?? 0)"
            let closes = ["c2s", "s2c"].compactMap { key -> String? in
                guard let code = s.closeCodes[key] else { return nil }
                return "\(key == "c2s" ? "C→S" : "S→C") \(code.map(String.init) ?? "no code")"
            }
            var line = "  summary of connection \(s.id): \(s.version ?? "?")\(s.extensions.map { " [\($0)]" } ?? ""); \(messages); \(bytes)"
            line += closes.isEmpty ? "; no close" : "; close " + closes.joined(separator: ", ")
            line += "; \(s.violations) violation\(s.violations == 1 ? "" : "s")"
            if s.missingBytes > 0 { line += "; \(s.missingBytes) bytes missing" }
            if s.retransmittedBytes > 0 { line += "; \(s.retransmittedBytes) bytes retransmitted" }
            return line
        }
    }

    private static func time(_ seconds: Double) -> String {
        let micros = Int((seconds * 1_000_000).rounded())
        let whole = micros / 1_000_000, fraction = micros % 1_000_000
        return "+\(whole).\(String(repeating: "0", count: 6 - String(fraction).count))\(fraction)"
    }

    /// Between quotes, with line breaks escaped so that a record stays on one line (one pass over
    /// the UTF-8, no Foundation bridging: this runs for every message of a capture).
    private static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func spaced(_ hex: String) -> String {
        var out = ""
        for (i, c) in hex.enumerated() {
            if i > 0 && i % 2 == 0 { out += " " }
            out.append(c)
        }
        return out
    }
}
