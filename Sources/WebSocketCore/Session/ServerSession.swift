/// The server side of one WebSocket connection, from the first request byte to the closed state,
/// for every version: the opening handshake, then the framing it negotiated, then the close.
/// Bytes in, events and bytes out; no socket and no clock (python-websockets' `ServerProtocol`).
///
/// A valid upgrade request stops at `HandshakeEvent.request`: the shell routes it, applies its
/// policies or asks a backend, then calls `accept()` or `reject(…)`. Bytes that arrive meanwhile
/// wait for `accept()`.
public struct ServerSession {
    private enum Phase {
        /// Boxed: the handshake's state (≈ 250 bytes) is freed once the connection opens instead
        /// of staying inline in every idle connection.
        indirect case handshaking(ServerHandshake)
        indirect case deciding(AcceptedHandshake)
        case open
        case closed
    }

    public let limits: ConnectionLimits
    public let deflateConfiguration: DeflateConfiguration
    private let supportedVersionList: [ProtocolVersion]
    private var phase: Phase
    /// The open phase (`WebSocketSession`).
    public var openPhase = OpenPhase()

    public init(configuration: ServerHandshakeConfiguration = ServerHandshakeConfiguration(),
                limits: ConnectionLimits = ConnectionLimits()) {
        self.limits = limits
        deflateConfiguration = configuration.deflate ?? DeflateConfiguration()
        supportedVersionList = configuration.supportedVersionList
        phase = .handshaking(ServerHandshake(configuration: configuration))
    }

    // MARK: State

    public var isHandshaking: Bool {
        switch phase {
        case .handshaking, .deciding: return true
        case .open, .closed: return false
        }
    }

    /// A hixie-76 request complete but for its 8-byte key3 (what a handshake timeout reports).
    public var isAwaitingKey3: Bool {
        if case .handshaking(let handshake) = phase { return handshake.isAwaitingKey3 }
        return false
    }

    /// The request waiting for `accept()` or `reject(…)` (`HandshakeEvent.request`); nil otherwise.
    public var pendingRequest: AcceptedHandshake? {
        if case .deciding(let accepted) = phase { return accepted }
        return nil
    }

    /// `WebSocketConnection.sharedEncoding` of the open connection.
    public var sharedEncoding: SharedEncoding? { openPhase.connection?.sharedEncoding }

    // MARK: Bytes in

    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> SessionOutput {
        if let output = receiveHandshake(bytes) { return output }
        return SessionOutput(connection: openPhase.receive(bytes))
    }

    /// `WebSocketConnection.receive(_:scratch:deliver:)` once open: messages and the core's
    /// answers lent in order, nothing copied per message.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                                 deliver: (LentDelivery) -> Void) -> SessionOutput {
        if let output = receiveHandshake(bytes) { return output }
        return SessionOutput(connection: openPhase.receive(bytes, scratch: &scratch, deliver: deliver))
    }

    /// The handshake phase's share of a read; nil once open (the connection reads it).
    private mutating func receiveHandshake(_ bytes: UnsafeRawBufferPointer) -> SessionOutput? {
        switch phase {
        case .open:
            return nil
        case .closed:
            return SessionOutput()
        case .deciding(var accepted):
            phase = .closed
            accepted.leftover += bytes   // read once accepted
            phase = .deciding(accepted)
            return SessionOutput()
        case .handshaking(var handshake):
            phase = .closed
            let result = handshake.receive(bytes)
            switch result {
            case .needMoreData:
                phase = .handshaking(handshake)
                return SessionOutput()
            case .notWebSocket(let request, let leftover):
                return SessionOutput(handshake: .plainHTTP(request, leftover: leftover))
            case .rejected(let error, let response):
                return SessionOutput(handshake: .failed(error, response: nil),
                                     connection: ConnectionOutput(outbound: response, closeTransport: true))
            case .accepted(let accepted):
                phase = .deciding(accepted)
                return SessionOutput(handshake: .request(accepted))
            }
        }
    }

    /// The peer ended the transport: during the handshake nothing is answered; once open,
    /// `OpenPhase.receiveEOF` (1006, or hixie-75's close).
    public mutating func receiveEOF() -> SessionOutput {
        switch phase {
        case .handshaking, .deciding:
            phase = .closed
            return SessionOutput(connection: ConnectionOutput(closeTransport: true))
        case .open:
            phase = .closed
            return SessionOutput(connection: openPhase.receiveEOF())
        case .closed:
            return SessionOutput(connection: openPhase.receiveEOF())
        }
    }

    // MARK: The shell's decision

    /// Answers the request `HandshakeEvent.request` reported (101, and hixie-76's 16-byte
    /// answer), then reads the bytes that followed it.
    public mutating func accept() -> SessionOutput {
        guard case .deciding(let accepted) = phase else { return SessionOutput() }
        return open(accepted)
    }

    /// `accept()` with `subprotocol` (nil: none) in the answer instead of this server's choice:
    /// a relay answers with its backend's (RFC 6455 §4.2.2). `deferringCloseReply`: the peer's
    /// close is answered by the shell's `close`, once its other leg is done
    /// (`WebSocketConnection.defersCloseReply`).
    public mutating func accept(answeringSubprotocol subprotocol: String?, deferringCloseReply: Bool = false) -> SessionOutput {
        guard case .deciding(var accepted) = phase else { return SessionOutput() }
        accepted.choose(subprotocol: subprotocol)
        return open(accepted, deferringCloseReply: deferringCloseReply)
    }

    private mutating func open(_ accepted: AcceptedHandshake, deferringCloseReply: Bool = false) -> SessionOutput {
        phase = .open
        var connection = accepted.makeConnection(limits: limits, deflateConfiguration: deflateConfiguration)
        connection.defersCloseReply = deferringCloseReply
        openPhase = OpenPhase(connection)
        var output = ConnectionOutput(outbound: accepted.response)
        if !accepted.leftover.isEmpty {
            output.append(contentsOf: accepted.leftover.withUnsafeBytes { openPhase.receive($0) })
        }
        return SessionOutput(connection: output)
    }

    /// Refuses the request with an HTTP answer (a route that does not exist, a policy, a
    /// backend's refusal), then the transport is closed.
    public mutating func reject(status: Int, headers: [(String, String)] = [], body: String = "") -> SessionOutput {
        phase = .closed
        return SessionOutput(connection: ConnectionOutput(outbound: HTTPResponseWriter.response(status: status, headers: headers, body: body),
                                                          closeTransport: true))
    }

    /// Refuses the handshake (before or after the request is complete) with the error's status,
    /// e.g. `.handshakeTimeout` (408).
    public mutating func reject(_ error: WebSocketError) -> SessionOutput {
        guard isHandshaking else { return SessionOutput() }
        phase = .closed
        return SessionOutput(handshake: .failed(error, response: nil),
                             connection: ConnectionOutput(outbound: HTTPResponseWriter.rejection(error, supportedVersions: supportedVersionList),
                                                          closeTransport: true))
    }

}
