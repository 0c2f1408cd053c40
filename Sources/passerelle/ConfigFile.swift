import ArgumentParser
import Foundation

/// `passerelle serve --config FILE`: a file of `serve` flags, one per line, written without their
/// leading `--` — `route /chat=ws://127.0.0.1:8080/chat`, `upstream-timeout 5`, `no-deflate`.
/// Blank lines and lines starting with `#` are skipped; a value runs to the end of its line
/// (spaces included, no quoting). The file's flags come first, so the command line's win
/// (ArgumentParser keeps the last value of a single-valued flag; repeatable ones add up). A file
/// that cannot be read, or a line written with its `--`, is a usage error (exit 64).
enum ConfigFile {
    /// `arguments` (without the program name) with every `--config FILE` replaced by the file's flags.
    static func expand(_ arguments: [String]) throws -> [String] {
        var fromFiles: [String] = [], rest: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--config" {
                guard index + 1 < arguments.endIndex else { throw ValidationError("--config needs a FILE") }
                fromFiles += try flags(inFile: arguments[index + 1])
                index += 2
            } else if argument.hasPrefix("--config=") {
                fromFiles += try flags(inFile: String(argument.dropFirst("--config=".count)))
                index += 1
            } else {
                rest.append(argument)
                index += 1
            }
        }
        guard !fromFiles.isEmpty else { return rest }
        // After the subcommand's name (`serve`, or none: serve is the default).
        if let first = rest.first, !first.hasPrefix("-") {
            return [first] + fromFiles + rest.dropFirst()
        }
        return fromFiles + rest
    }

    static func flags(inFile path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("--config \(path): cannot read it as UTF-8 text")
        }
        return try flags(in: text, file: path)
    }

    static func flags(in text: String, file: String) throws -> [String] {
        var flags: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let name = line.prefix { !$0.isWhitespace }
            guard !name.hasPrefix("-"), name != "config" else {
                throw ValidationError("\(file):\(number + 1): write a flag without its -- (and no nested config): '\(line)'")
            }
            flags.append("--" + name)
            let value = line.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { flags.append(value) }
        }
        return flags
    }
}
