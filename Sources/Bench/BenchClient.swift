import WebSocketCore

/// The client side of one benchmark connection — the core's opening handshake, then its
/// connection — shared by every scenario's channel handler. Each client masks with a fresh key per
/// frame from its own fast generator, seeded from the system's.
struct BenchClient {
    enum Update {
        /// The handshake needs more bytes.
        case waiting
        /// The server answered with an HTTP status instead of upgrading (e.g. 503 past its limit).
        case refused
        /// The handshake or the connection failed.
        case failed
        /// Events and bytes to write back; `opened` on the read that completed the handshake.
        case output(ConnectionOutput, opened: Bool)
    }

    private var handshake: ClientHandshake
    private var connection: (any WebSocketConnection)?

    init(host: String, port: Int, path: String, version: ProtocolVersion, deflate: Bool) {
        var random = SeededRandom(seed: UInt64.random(in: .min ... .max))
        handshake = ClientHandshake(configuration: ClientHandshakeConfiguration(
            version: version, host: "\(host):\(port)", target: path,
            deflateOffers: deflate ? [ClientHandshakeConfiguration.browserDeflateOffer] : []), random: &random)
    }

    var request: [UInt8] { handshake.request }
    var isOpen: Bool { connection?.state == .open }

    mutating func receive(_ bytes: [UInt8]) -> Update {
        var input = bytes
        var opened = false
        if connection == nil {
            switch handshake.receive(bytes) {
            case .needMoreData: return .waiting
            case .accepted(let accepted):
                connection = accepted.makeConnection(random: SeededRandom(seed: UInt64.random(in: .min ... .max)))
                input = accepted.leftover
                opened = true
            case .rejected(_, let head):
                return head == nil ? .failed : .refused
            }
        }
        guard var open = connection else { return .failed }
        let output = input.isEmpty ? ConnectionOutput() : open.receive(input)
        connection = open
        return .output(output, opened: opened)
    }

    mutating func send(_ message: Message) -> [UInt8]? {
        guard var open = connection, let bytes = try? open.send(message) else { return nil }
        connection = open
        return bytes
    }

    /// Starts the closing handshake.
    mutating func close() -> [UInt8]? {
        guard var open = connection, let output = try? open.close(code: .normalClosure, reason: "bye") else { return nil }
        connection = open
        return output.outbound
    }
}
