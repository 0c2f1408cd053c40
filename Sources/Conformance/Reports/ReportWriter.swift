import Foundation

/// Writes a run's reports: `results.json` (machine), `index.html` plus one page per case (people),
/// `junit.xml` (CI).
public enum ReportWriter {
    public struct Run: Codable, Sendable {
        public var target: String
        public var startedAt: String
        public var durationSeconds: Double
        public var counts: [String: Int]
        public var results: [CaseResult]
    }

    public static func summary(_ results: [CaseResult], seconds: Double) -> String {
        let counts = Dictionary(grouping: results, by: \.outcome).mapValues(\.count)
        let parts = Outcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.rawValue)" } }
        return "conformance: \(results.count) cases: \(parts.joined(separator: ", ")) in \(String(format: "%.1f", seconds)) s"
    }

    public static func write(_ results: [CaseResult], target: String, seconds: Double, to folder: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("cases"), withIntermediateDirectories: true)
        let counts = Dictionary(grouping: results, by: { $0.outcome.rawValue }).mapValues(\.count)
        let run = Run(target: target, startedAt: ISO8601DateFormatter().string(from: Date().addingTimeInterval(-seconds)),
                      durationSeconds: seconds, counts: counts, results: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(run).write(to: folder.appendingPathComponent("results.json"))
        try Data(junit(results, target: target, seconds: seconds).utf8).write(to: folder.appendingPathComponent("junit.xml"))
        try Data(index(results, target: target, seconds: seconds).utf8).write(to: folder.appendingPathComponent("index.html"))
        for result in results {
            try Data(page(result, target: target).utf8).write(to: folder.appendingPathComponent("cases/\(fileName(result.id)).html"))
        }
    }

    static func fileName(_ id: String) -> String {
        id.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined()
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func colour(_ outcome: Outcome) -> String {
        switch outcome {
        case .ok: return "#1f9d55"
        case .nonStrict: return "#c9a227"
        case .informational: return "#3a7bd5"
        case .unimplemented: return "#8a8f98"
        case .failed: return "#d64541"
        }
    }

    static let style = """
    body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2733}h1{font-size:20px}table{border-collapse:collapse;margin:8px 0 20px}
    td,th{padding:3px 10px;border-bottom:1px solid #e3e7eb;text-align:left;vertical-align:top}.o{color:#fff;border-radius:4px;padding:1px 7px;font-weight:600;white-space:nowrap}
    pre{background:#f4f6f8;padding:8px;border-radius:6px;white-space:pre-wrap;word-break:break-all}.in{color:#0b5}.out{color:#05a}.note{color:#888}
    .bar{display:flex;height:14px;border-radius:4px;overflow:hidden;margin:6px 0 18px;max-width:720px}
    """

    static func badge(_ outcome: Outcome) -> String {
        "<span class=\"o\" style=\"background:\(colour(outcome))\">\(outcome.rawValue)</span>"
    }

    static func index(_ results: [CaseResult], target: String, seconds: Double) -> String {
        var html = "<!doctype html><meta charset=utf-8><title>Passerelle conformance — \(escape(target))</title><style>\(style)</style>"
        html += "<h1>Passerelle conformance report</h1><p>Target <code>\(escape(target))</code> — \(escape(summary(results, seconds: seconds)))</p>"
        html += "<div class=bar>"
        for outcome in Outcome.allCases {
            let n = results.filter { $0.outcome == outcome }.count
            if n > 0 { html += "<div title=\"\(n) \(outcome.rawValue)\" style=\"flex:\(n);background:\(colour(outcome))\"></div>" }
        }
        html += "</div>"
        for (group, cases) in Dictionary(grouping: results, by: \.group).sorted(by: { $0.key < $1.key }) {
            let failed = cases.filter { $0.outcome == .failed }.count
            html += "<h2>\(escape(group)) <small>(\(cases.count) cases\(failed > 0 ? ", \(failed) FAILED" : ""))</small></h2><table>"
            html += "<tr><th>case</th><th>outcome</th><th>title</th><th>section</th><th>reason</th></tr>"
            for result in cases {
                html += "<tr><td><a href=\"cases/\(fileName(result.id)).html\">\(escape(result.id))</a></td><td>\(badge(result.outcome))</td>"
                html += "<td>\(escape(result.title))</td><td>\(escape(result.section))</td><td>\(escape(result.reason))</td></tr>"
            }
            html += "</table>"
        }
        return html
    }

    static func page(_ result: CaseResult, target: String) -> String {
        var html = "<!doctype html><meta charset=utf-8><title>\(escape(result.id))</title><style>\(style)</style>"
        html += "<p><a href=\"../index.html\">← all cases</a></p><h1>\(escape(result.id)) \(badge(result.outcome))</h1>"
        html += "<table><tr><th>title</th><td>\(escape(result.title))</td></tr><tr><th>checks</th><td>\(escape(result.section))</td></tr>"
        html += "<tr><th>observed</th><td>\(escape(result.reason))</td></tr>"
        if let override = result.override { html += "<tr><th>override</th><td>\(escape(override))</td></tr>" }
        html += "<tr><th>target</th><td>\(escape(target))</td></tr><tr><th>duration</th><td>\(String(format: "%.1f", result.durationMs)) ms</td></tr></table>"
        html += "<h2>Wire log</h2><pre>"
        for entry in result.log {
            let arrow = entry.direction == "out" ? "→" : entry.direction == "in" ? "←" : "·"
            html += "<span class=\(entry.direction)>\(String(format: "%8.1f", entry.time)) ms \(arrow) \(escape(entry.hex))\n               \(escape(entry.text))</span>\n"
        }
        return html + "</pre>"
    }

    static func junit(_ results: [CaseResult], target: String, seconds: Double) -> String {
        let failures = results.filter { $0.outcome == .failed }.count
        let skipped = results.filter { $0.outcome == .unimplemented }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"passerelle conformance\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(seconds)\">\n"
        for (group, cases) in Dictionary(grouping: results, by: \.group).sorted(by: { $0.key < $1.key }) {
            xml += "  <testsuite name=\"\(escape(group))\" tests=\"\(cases.count)\" failures=\"\(cases.filter { $0.outcome == .failed }.count)\" skipped=\"\(skipped)\">\n"
            for result in cases {
                xml += "    <testcase classname=\"\(escape(group))\" name=\"\(escape(result.id))\" time=\"\(result.durationMs / 1000)\">"
                switch result.outcome {
                case .failed: xml += "<failure message=\"\(escape(result.reason))\">\(escape(result.section))</failure>"
                case .unimplemented: xml += "<skipped message=\"\(escape(result.reason))\"/>"
                default:
                    if result.outcome != .ok {
                        // A deviation accepted by an override file says why, with the section it departs from.
                        let accepted = result.override.map { " — accepted (\(result.section)): \($0)" } ?? ""
                        xml += "<system-out>\(result.outcome.rawValue): \(escape(result.reason + accepted))</system-out>"
                    }
                }
                xml += "</testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }
}
