import Foundation

/// Reads every case file under a folder (recursively), sorted by id.
public enum CaseLoader {
    public static func load(from folder: URL) throws -> [ConformanceCase] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            throw ConformanceError.badCase("no case folder at \(folder.path)")
        }
        var cases: [ConformanceCase] = []
        var seen = Set<String>()
        for case let url as URL in enumerator where url.pathExtension == "json" {
            do {
                let item = try JSONDecoder().decode(ConformanceCase.self, from: Data(contentsOf: url))
                guard seen.insert(item.id).inserted else { throw ConformanceError.badCase("duplicate id \(item.id)") }
                cases.append(item)
            } catch let error as ConformanceError {
                throw error
            } catch {
                throw ConformanceError.badCase("\(url.lastPathComponent): \(error)")
            }
        }
        return cases.sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
    }

    /// `--cases` / `--exclude` patterns: shell-style `*` wildcards, several separated by commas.
    public static func matches(_ id: String, _ patterns: String) -> Bool {
        patterns.split(separator: ",").contains { pattern in
            let regex = "^" + NSRegularExpression.escapedPattern(for: String(pattern)).replacingOccurrences(of: "\\*", with: ".*") + "$"
            return id.range(of: regex, options: .regularExpression) != nil
        }
    }
}
