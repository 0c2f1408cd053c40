import WebSocketCore

/// The client side of one benchmark connection — the core's opening handshake, then its
/// connection — shared by every scenario's channel handler. Each client masks with a fresh key per
/// frame from its own fast generator, seeded from the system's, and compresses at zlib level 1
/// (every server inflates the same kind of stream; the generator must not be the bottleneck).
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

    static let deflate = DeflateConfiguration(compressionLevel: 1)

    var request: [UInt8] { handshake.request }
    var isOpen: Bool { connection?.state == .open }

    /// `bytes` is read before it returns (the core copies what it keeps).
    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> Update {
        receive(bytes) { open, bytes in open.receive(bytes) }
    }

    /// The same, with each message lent to `deliver` where it lies (the core's
    /// `receive(_:scratch:deliver:)`: no copy, no allocation per message) instead of being put
    /// in the output's events. `deliver` must not call back into this client.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                          deliver: (LentDelivery) -> Void) -> Update {
        receive(bytes) { open, bytes in open.receive(bytes, scratch: &scratch, deliver: deliver) }
    }

    private mutating func receive(_ bytes: UnsafeRawBufferPointer,
                                  _ read: (inout any WebSocketConnection, UnsafeRawBufferPointer) -> ConnectionOutput) -> Update {
        var leftover: [UInt8] = []
        var opened = false
        if connection == nil {
            switch handshake.receive(bytes) {
            case .needMoreData: return .waiting
            case .accepted(let accepted):
                connection = accepted.makeConnection(deflateConfiguration: Self.deflate,
                                                     random: SeededRandom(seed: UInt64.random(in: .min ... .max)))
                leftover = accepted.leftover
                opened = true
            case .rejected(_, let head):
                return head == nil ? .failed : .refused
            }
        }
        guard var open = connection else { return .failed }
        connection = nil   // unique while it mutates: no copy of its buffers
        let output: ConnectionOutput
        if opened {
            output = leftover.isEmpty ? ConnectionOutput() : leftover.withUnsafeBytes { read(&open, $0) }
        } else {
            output = bytes.isEmpty ? ConnectionOutput() : read(&open, bytes)
        }
        connection = open
        return .output(output, opened: opened)
    }

    mutating func send(_ message: Message) -> [UInt8]? {
        guard var open = connection else { return nil }
        connection = nil
        defer { connection = open }
        return try? open.send(message)
    }

    /// Starts the closing handshake.
    mutating func close() -> [UInt8]? {
        guard var open = connection else { return nil }
        connection = nil
        defer { connection = open }
        return (try? open.close(code: .normalClosure, reason: "bye"))?.outbound
    }
}
