import Foundation
import WebSocketCore

/// One fixture file (format: Fixtures/README.md).
struct Fixture: CustomStringConvertible {
    let url: URL
    let json: JSONValue
    /// The stream inputs, decoded once: the split tests read them once per cut.
    private let streams: [String: [UInt8]]

    init(url: URL, json: JSONValue) {
        self.url = url
        self.json = json
        let directory = url.deletingLastPathComponent()
        streams = Self.streamKeys.reduce(into: [:]) { streams, key in
            if let value = json[key], let bytes = try? FixtureBytes.decode(value, relativeTo: directory) { streams[key] = bytes }
        }
    }

    private static let streamKeys = ["input", "response"]
    var kind: String { json["kind"]?.string ?? "?" }
    var name: String { url.path.components(separatedBy: "/Fixtures/").last ?? url.lastPathComponent }
    var description: String { name }
    var directory: URL { url.deletingLastPathComponent() }

    func bytes(_ key: String, in object: JSONValue? = nil) throws -> [UInt8]? {
        if object == nil, let bytes = streams[key] { return bytes }
        guard let value = (object ?? json)[key] else { return nil }
        return try FixtureBytes.decode(value, relativeTo: directory)
    }

    func bytes(_ value: JSONValue) throws -> [UInt8] {
        try FixtureBytes.decode(value, relativeTo: directory)
    }

    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Every `.json` file under Fixtures/, sorted.
    static func all() -> [Fixture] {
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var fixtures: [Fixture] = []
        while let url = enumerator?.nextObject() as? URL {
            // Fixtures/captures/ holds capture files with their own sidecars (CaptureTests).
            guard url.pathExtension == "json", !url.path.contains("/Fixtures/captures/") else { continue }
            do {
                let json = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
                fixtures.append(Fixture(url: url, json: json))
            } catch {
                // An unreadable fixture still becomes a (failing) test case.
                fixtures.append(Fixture(url: url, json: .object(["kind": .string("unreadable"), "error": .string("\(error)")])))
            }
        }
        return fixtures.sorted { $0.name < $1.name }
    }

    // MARK: Configuration decoding shared by kinds

    func deflateAgreement(_ value: JSONValue?) -> DeflateAgreement? {
        guard let value, value != .null, value != .bool(false) else { return nil }
        return DeflateAgreement(serverNoContextTakeover: value["serverNoContextTakeover"]?.bool ?? false,
                                clientNoContextTakeover: value["clientNoContextTakeover"]?.bool ?? false,
                                serverMaxWindowBits: value["serverMaxWindowBits"]?.int ?? 15,
                                clientMaxWindowBits: value["clientMaxWindowBits"]?.int ?? 15)
    }

    func deflateConfiguration(_ value: JSONValue?) -> DeflateConfiguration {
        DeflateConfiguration(ownMaxWindowBits: value?["ownMaxWindowBits"]?.int ?? 15,
                             peerMaxWindowBits: value?["peerMaxWindowBits"]?.int ?? 15,
                             ownNoContextTakeover: value?["ownNoContextTakeover"]?.bool ?? false,
                             requestPeerNoContextTakeover: value?["requestPeerNoContextTakeover"]?.bool ?? false,
                             minimumCompressedSize: value?["minimumCompressedSize"]?.int ?? 0,
                             windowBits8Policy: DeflateConfiguration.WindowBits8Policy(rawValue: value?["windowBits8Policy"]?.string ?? "") ?? .acceptUncompressed)
    }

    func limits(_ value: JSONValue?) -> ConnectionLimits {
        ConnectionLimits(maxFrameSize: value?["maxFrameSize"]?.int ?? (16 << 20),
                         maxMessageSize: value?["maxMessageSize"]?.int ?? (16 << 20))
    }

    func serverConfiguration(_ value: JSONValue?) -> ServerHandshakeConfiguration {
        var configuration = ServerHandshakeConfiguration()
        guard let value else { return configuration }
        if let versions = value["versions"]?.array {
            configuration.versions = Set(versions.compactMap { $0.string.flatMap(ProtocolVersion.init(rawValue:)) })
        }
        configuration.subprotocols = value["subprotocols"]?.array?.compactMap(\.string) ?? []
        configuration.requireSubprotocolMatch = value["requireSubprotocolMatch"]?.bool ?? false
        if let origin = value["origin"], origin.object != nil {
            configuration.origin = .allowList(origins: origin["allow"]?.array?.compactMap(\.string) ?? [],
                                              allowNull: origin["allowNull"]?.bool ?? false,
                                              allowMissing: origin["allowMissing"]?.bool ?? false)
        }
        if let deflate = value["deflate"] {
            configuration.deflate = deflate == .bool(false) ? nil : deflateConfiguration(deflate)
        }
        configuration.headLimits = HTTPHeadLimits(maxHeadBytes: value["maxHeadBytes"]?.int ?? 8192,
                                                  maxHeaderCount: value["maxHeaderCount"]?.int ?? 64)
        configuration.secure = value["secure"]?.bool ?? false
        return configuration
    }
}
