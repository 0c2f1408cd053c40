import Foundation

/// The byte notation of fixtures (see Fixtures/README.md):
///   {"hex": "81 05 48 65"}        bytes in hex, whitespace ignored
///   {"text": "GET / HTTP/1.1\r\n"} the UTF-8 of a string
///   {"file": "peers/x.bin"}       a raw file, relative to the fixture
///   {"repeat": BYTES, "count": N} BYTES N times
///   [BYTES, BYTES, …]             concatenation
enum FixtureBytes {
    static func decode(_ value: JSONValue, relativeTo directory: URL) throws -> [UInt8] {
        switch value {
        case .array(let parts):
            return try parts.flatMap { try decode($0, relativeTo: directory) }
        case .string(let text):
            return Array(text.utf8)
        case .object(let object):
            if let hex = object["hex"]?.string { return try parseHex(hex) }
            if let text = object["text"]?.string { return Array(text.utf8) }
            if let file = object["file"]?.string {
                return Array(try Data(contentsOf: directory.appendingPathComponent(file)))
            }
            if let unit = object["repeat"], let count = object["count"]?.int {
                let bytes = try decode(unit, relativeTo: directory)
                var result: [UInt8] = []
                result.reserveCapacity(bytes.count * count)
                for _ in 0..<count { result += bytes }
                return result
            }
            throw FixtureError("unknown byte notation \(value)")
        default:
            throw FixtureError("unknown byte notation \(value)")
        }
    }

    static func parseHex(_ hex: String) throws -> [UInt8] {
        let digits = hex.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }
        guard digits.count % 2 == 0 else { throw FixtureError("odd hex digit count in \(hex)") }
        var bytes: [UInt8] = []
        var iterator = digits.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let byte = UInt8(String(high) + String(low), radix: 16) else { throw FixtureError("bad hex \(high)\(low)") }
            bytes.append(byte)
        }
        return bytes
    }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
