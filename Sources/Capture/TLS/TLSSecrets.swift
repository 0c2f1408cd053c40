/// The secrets of an NSS key log (`SSLKEYLOGFILE`, written by Chromium, Firefox, curl, OpenSSL,
/// BoringSSL and `passerelle serve --tls-keylog`), by client random.
///
/// Each line is `LABEL <client random, hex> <secret, hex>`; `#` starts a comment. The labels read:
/// `CLIENT_RANDOM` (the TLS 1.2 master secret) and the TLS 1.3 traffic secrets
/// (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`,
/// `SERVER_TRAFFIC_SECRET_0`). Other lines are kept too and ignored; malformed lines are counted.
public struct TLSSecrets: Sendable, Hashable {
    private var byClientRandom: [[UInt8]: [String: [UInt8]]] = [:]
    public private(set) var malformedLines = 0

    public init() {}

    /// Reads a key log's text (a file's whole content, or the lines added since the last read).
    public init(keyLog: some Sequence<UInt8>) {
        add(keyLog: keyLog)
    }

    public var sessionCount: Int { byClientRandom.count }
    public var isEmpty: Bool { byClientRandom.isEmpty }

    public mutating func add(keyLog: some Sequence<UInt8>) {
        for line in Array(keyLog).split(whereSeparator: { $0 == 0x0A || $0 == 0x0D }) {
            if line.first == UInt8(ascii: "#") { continue }
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            guard fields.count == 3, let random = Self.hex(fields[1]), random.count == 32,
                  let secret = Self.hex(fields[2]), !secret.isEmpty,
                  let label = String(bytes: fields[0], encoding: .ascii) else {
                malformedLines += 1
                continue
            }
            byClientRandom[random, default: [:]][label] = secret
        }
    }

    public mutating func add(_ other: TLSSecrets) {
        for (random, labels) in other.byClientRandom {
            byClientRandom[random, default: [:]].merge(labels) { _, new in new }
        }
        malformedLines += other.malformedLines
    }

    /// The secret logged under `label` for the session whose ClientHello carried `clientRandom`.
    public func secret(_ label: String, clientRandom: [UInt8]) -> [UInt8]? {
        byClientRandom[clientRandom]?[label]
    }

    private static func hex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var high: UInt8?
        for character in text {
            let value: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high { bytes.append(h << 4 | value); high = nil } else { high = value }
        }
        return bytes
    }
}
