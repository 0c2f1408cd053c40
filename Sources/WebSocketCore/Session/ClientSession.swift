/// The client side of one WebSocket connection, from its request to the closed state, for every
/// version: `request` goes out first, the server's answer is checked, then the framing it
/// negotiated, then the close (python-websockets' `ClientProtocol`). No socket, no clock.
public struct ClientSession {
    private enum Phase {
        indirect case handshaking(ClientHandshake)
        case open
        case closed
    }

    public let limits: ConnectionLimits
    public let deflateConfiguration: DeflateConfiguration
    /// The opening handshake's bytes, to write before anything else.
    public let request: [UInt8]
    /// The server's accepted answer (version, subprotocol, extensions), once openPhase.
    public private(set) var accepted: AcceptedClientHandshake?
    private var phase: Phase
    /// The open phase (`WebSocketSession`).
    public var openPhase = OpenPhase()
    /// Masking keys (RFC 6455 §5.3) after the handshake's own draws; inject a seeded one for
    /// deterministic tests.
    private var random: any RandomNumberGenerator

    public init(configuration: ClientHandshakeConfiguration, limits: ConnectionLimits = ConnectionLimits(),
                random: some RandomNumberGenerator = SystemRandomNumberGenerator()) {
        var random = random
        let handshake = ClientHandshake(configuration: configuration, random: &random)
        self.limits = limits
        deflateConfiguration = configuration.deflate
        request = handshake.request
        phase = .handshaking(handshake)
        self.random = random
    }

    public var isHandshaking: Bool {
        if case .handshaking = phase { return true }
        return false
    }


    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> SessionOutput {
        if let output = receiveHandshake(bytes, { open, leftover in open.receive(leftover) }) { return output }
        return SessionOutput(connection: openPhase.receive(bytes))
    }

    /// `WebSocketConnection.receive(_:scratch:deliver:)` once open (the bytes that followed the
    /// answer too): messages and the core's answers lent in order.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                                 deliver: (LentDelivery) -> Void) -> SessionOutput {
        if let output = receiveHandshake(bytes, { open, leftover in open.receive(leftover, scratch: &scratch, deliver: deliver) }) {
            return output
        }
        return SessionOutput(connection: openPhase.receive(bytes, scratch: &scratch, deliver: deliver))
    }

    /// The handshake phase's share of a read; nil once openPhase. On the read that opens the
    /// connection, the bytes after the answer go to `readLeftover`.
    private mutating func receiveHandshake(_ bytes: UnsafeRawBufferPointer,
                                           _ readLeftover: (inout OpenPhase, UnsafeRawBufferPointer) -> ConnectionOutput) -> SessionOutput? {
        switch phase {
        case .open:
            return nil
        case .closed:
            return SessionOutput()
        case .handshaking(var handshake):
            phase = .closed
            switch handshake.receive(bytes) {
            case .needMoreData:
                phase = .handshaking(handshake)
                return SessionOutput()
            case .rejected(let error, let head):
                return SessionOutput(handshake: .failed(error, response: head), connection: ConnectionOutput(closeTransport: true))
            case .accepted(var answer):
                phase = .open
                let leftover = answer.leftover
                answer.leftover = []
                accepted = answer
                openPhase = OpenPhase(answer.makeConnection(limits: limits, deflateConfiguration: deflateConfiguration, random: random))
                let output = leftover.isEmpty ? ConnectionOutput() : leftover.withUnsafeBytes { readLeftover(&openPhase, $0) }
                return SessionOutput(handshake: .opened(answer), connection: output)
            }
        }
    }

    /// The server ended the transport: during the handshake the connection failed; once open,
    /// `OpenPhase.receiveEOF` (1006, or hixie-75's close).
    public mutating func receiveEOF() -> SessionOutput {
        switch phase {
        case .handshaking:
            phase = .closed
            return SessionOutput(handshake: .failed(.malformedResponse("connection closed during the handshake"), response: nil),
                                 connection: ConnectionOutput(closeTransport: true))
        case .open, .closed:
            phase = .closed
            return SessionOutput(connection: openPhase.receiveEOF())
        }
    }
}
