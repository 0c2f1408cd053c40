import Conformance
import Foundation
import WebSocketCore

/// The byte notation of fixtures (Fixtures/README.md), read by the same parser as conformance
/// cases (`FixtureBytesValue`): a fixture's JSON value is only mapped onto its nodes here.
enum FixtureBytes {
    static func decode(_ value: JSONValue, relativeTo directory: URL) throws -> [UInt8] {
        try FixtureBytesValue(node(value)).bytes(relativeTo: directory)
    }

    static func node(_ value: JSONValue) throws -> FixtureBytesValue.Node {
        switch value {
        case .array(let parts):
            return .list(try parts.map(node))
        case .string(let text):
            return .text(text)
        case .object(let object):
            if let hex = object["hex"]?.string { return .hex(hex) }
            if let text = object["text"]?.string { return .text(text) }
            if let file = object["file"]?.string { return .file(file) }
            if let unit = object["repeat"], let count = object["count"]?.int { return .repeatNode(try node(unit), count) }
            throw FixtureError("unknown byte notation \(value)")
        default:
            throw FixtureError("unknown byte notation \(value)")
        }
    }

    static func parseHex(_ hex: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(hex) else { throw FixtureError("bad hex \(hex)") }
        return bytes
    }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(bytes)
    }
}
