import Foundation

/// Reads the cases, sorted by id: every case file under a folder (recursively), or the suite
/// compiled into the binary from `Conformance/cases` (`EmbeddedSuite`, made at build time).
public enum CaseLoader {
    public static func load(from folder: URL) throws -> [ConformanceCase] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue,
              let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            throw ConformanceError.badCase("no case folder at \(folder.path)")
        }
        var files: [(name: String, contents: Data, folder: URL?)] = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            files.append((url.lastPathComponent, try Data(contentsOf: url), url.deletingLastPathComponent()))
        }
        return try decode(files)
    }

    /// The suite this binary was built with.
    public static func loadEmbedded() throws -> [ConformanceCase] {
        try decode(EmbeddedSuite.files.map { ($0.path, Data(base64Encoded: $0.base64) ?? Data(), nil) })
    }

    private static func decode(_ files: [(name: String, contents: Data, folder: URL?)]) throws -> [ConformanceCase] {
        var cases: [ConformanceCase] = []
        var seen = Set<String>()
        for file in files {
            do {
                var item = try JSONDecoder().decode(ConformanceCase.self, from: file.contents)
                item.folder = file.folder
                guard seen.insert(item.id).inserted else { throw ConformanceError.badCase("duplicate id \(item.id)") }
                cases.append(item)
            } catch let error as ConformanceError {
                throw error
            } catch {
                throw ConformanceError.badCase("\(file.name): \(error)")
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
