import Foundation
import WebSocketCore

/// Bytes as fixtures and conformance cases write them (Fixtures/README.md), read by this one
/// parser for both:
///   {"hex": "81 05 48 65"}         hex, white space ignored
///   {"text": "GET / HTTP/1.1\r\n"} (or a bare string) the UTF-8 of a string
///   {"file": "x.bin"}              a raw file, relative to the folder of the JSON file that holds it
///   {"repeat": BYTES, "count": N}  BYTES N times
///   [BYTES, BYTES, …]              concatenation
public struct FixtureBytesValue: Sendable, Decodable {
    public indirect enum Node: Sendable {
        case hex(String), text(String), file(String), repeatNode(Node, Int), list([Node])
    }
    public var node: Node

    public init(_ node: Node) {
        self.node = node
    }

    public init(from decoder: Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var nodes: [Node] = []
            while !list.isAtEnd { nodes.append(try list.decode(FixtureBytesValue.self).node) }
            node = .list(nodes)
            return
        }
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            node = .text(text)
            return
        }
        let object = try decoder.container(keyedBy: Key.self)
        if let hex = try object.decodeIfPresent(String.self, forKey: .hex) { node = .hex(hex) }
        else if let text = try object.decodeIfPresent(String.self, forKey: .text) { node = .text(text) }
        else if let file = try object.decodeIfPresent(String.self, forKey: .file) { node = .file(file) }
        else {
            let unit = try object.decode(FixtureBytesValue.self, forKey: .repeat)
            node = .repeatNode(unit.node, try object.decode(Int.self, forKey: .count))
        }
    }

    enum Key: String, CodingKey { case hex, text, file, `repeat`, count }

    /// The bytes; `folder` is where `{"file"}` names are read (nil: a file is an error).
    public func bytes(relativeTo folder: URL?) throws -> [UInt8] {
        try Self.resolve(node, folder: folder)
    }

    static func resolve(_ node: Node, folder: URL?) throws -> [UInt8] {
        switch node {
        case .text(let text):
            return Array(text.utf8)
        case .hex(let hex):
            guard let bytes = Hex.decode(hex) else { throw ConformanceError.badCase("bad hex \(hex)") }
            return bytes
        case .file(let path):
            guard let folder else { throw ConformanceError.badCase("{\"file\": \"\(path)\"} where no folder holds files (the built-in suite)") }
            return Array(try Data(contentsOf: folder.appendingPathComponent(path)))
        case .repeatNode(let unit, let count):
            return repeated(try resolve(unit, folder: folder), count: count)
        case .list(let nodes):
            return try nodes.flatMap { try resolve($0, folder: folder) }
        }
    }

    /// `unit` `count` times, by doubling the copied part: cases repeat one byte millions of times.
    static func repeated(_ unit: [UInt8], count: Int) -> [UInt8] {
        let total = unit.count * max(count, 0)
        guard total > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let base = buffer.baseAddress!
            unit.withUnsafeBufferPointer { base.initialize(from: $0.baseAddress!, count: unit.count) }
            var filled = unit.count
            while filled < total {
                let more = min(filled, total - filled)
                (base + filled).initialize(from: base, count: more)
                filled += more
            }
            initialized = total
        }
    }
}
