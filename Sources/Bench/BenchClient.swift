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

    private var session: ClientSession

    init(host: String, port: Int, path: String, version: ProtocolVersion, deflate: Bool) {
        var configuration = ClientHandshakeConfiguration(
            version: version, host: "\(host):\(port)", target: path,
            deflateOffers: deflate ? [ClientHandshakeConfiguration.browserDeflateOffer] : [])
        configuration.deflate = Self.deflate
        session = ClientSession(configuration: configuration, random: SeededRandom(seed: UInt64.random(in: .min ... .max)))
    }

    static let deflate = DeflateConfiguration(compressionLevel: 1)

    var request: [UInt8] { session.request }
    var isOpen: Bool { session.state == .open }

    /// `bytes` is read before it returns (the core copies what it keeps).
    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> Update {
        update(session.receive(bytes))
    }

    /// The same, with each message lent to `deliver` where it lies (the core's
    /// `receive(_:scratch:deliver:)`: no copy, no allocation per message) instead of being put
    /// in the output's events. `deliver` must not call back into this client.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                          deliver: (LentDelivery) -> Void) -> Update {
        update(session.receive(bytes, scratch: &scratch, deliver: deliver))
    }

    private func update(_ output: SessionOutput) -> Update {
        switch output.handshake {
        case nil:
            return session.isHandshaking ? .waiting : .output(output.connection, opened: false)
        case .opened?:
            return .output(output.connection, opened: true)
        case .failed(_, let head)?:
            return head == nil ? .failed : .refused
        case .request?, .plainHTTP?:
            return .failed
        }
    }

    mutating func send(_ message: Message) -> [UInt8]? {
        try? session.send(message)
    }

    /// Starts the closing handshake.
    mutating func close() -> [UInt8]? {
        (try? session.close(code: .normalClosure, reason: "bye"))?.outbound
    }
}
