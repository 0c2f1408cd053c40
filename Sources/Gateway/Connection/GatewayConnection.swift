import Bridge
import NIOCore
import Room
import WebSocketCore

/// The gateway's side of one connection, without its socket: the core's session, what the
/// connection did so far, and the gateway's decisions on top of the protocol — an echo, a
/// message for the room or the relay, a closing handshake, a keepalive, a slow consumer — given
/// as `ConnectionAction`s that its shell (`WebSocketChannelHandler`) carries out. No clock and
/// no socket: the time, the bytes written and the queue come in as arguments.
struct GatewayConnection {
    /// The connection from its first request byte to its close: the core's server session.
    private(set) var session: ServerSession
    private(set) var statistics: ConnectionStatistics
    private var quiet: QuietSpell
    /// Kept beside `session` so that a room delivery reads two stored properties instead of
    /// asking the session: whether messages may be sent, and the encoding this connection shares
    /// (fixed at the handshake).
    private(set) var sendsMessages = false
    private(set) var sharedEncoding: SharedEncoding?
    /// Beside the two flags above, so that the three share what would otherwise be padding.
    private(set) var endpoint: GatewayConfiguration.Endpoint = .echo

    init(id: Int, configuration: GatewayConfiguration, now: NIODeadline) {
        session = ServerSession(configuration: configuration.handshake, limits: configuration.limits)
        statistics = ConnectionStatistics(id: id, peer: "?")
        quiet = QuietSpell(now: now)
    }

    /// Echoes whose bytes do not depend on this connection's own compressor are framed where
    /// they lie in the read buffer (`receiveEchoingInPlace`).
    var echoesInPlace: Bool { endpoint == .echo && sharedEncoding != nil }

    mutating func noteRead(_ count: Int, at now: NIODeadline) {
        statistics.bytesIn += count
        quiet.noteRead(at: now)
    }

    /// A read for the session (the handshake, or frames whose echoes are not lent in place).
    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> SessionOutput {
        session.receive(bytes)
    }

    // MARK: Handshake

    /// Refused at the door (the server's limit or the address's): the answer, no request read.
    mutating func refuseAdmission(_ refusal: GatewayError, log: @autoclosure () -> ConnectionLog) -> [UInt8] {
        statistics.refusal = refusal
        log().refused(refusal)
        return HTTPResponseWriter.response(status: refusal.httpStatus ?? 503, headers: [("Retry-After", "5")], body: refusal.reason + "\n")
    }

    /// What the session's output asks for: during the handshake, a page, a refusal or a request to
    /// route; once open, a read to carry out.
    enum SessionStep {
        /// The open connection's output (the handshake is over, or frames came with it).
        case read(ConnectionOutput)
        /// A page or a resource rather than a WebSocket request.
        case page(HTTPRequestHead)
        /// A request to route (`route(_:…)`: opened, bridged or refused).
        case route(AcceptedHandshake)
        /// The connection's last bytes: the handshake's refusal (its status, RFC 6455 §4.2.2).
        case refused([UInt8])
    }

    mutating func step(for output: SessionOutput, log: @autoclosure () -> ConnectionLog) -> SessionStep {
        switch output.handshake {
        case nil, .opened?:
            sendsMessages = session.state == .open
            return .read(output.connection)
        case .plainHTTP(let request, _)?:
            statistics.path = request.path
            return .page(request)
        case .failed(let error, _)?:
            statistics.failure = error
            log().handshakeRefused(error)
            return .refused(output.outbound)
        case .request(let accepted)?:
            statistics.path = accepted.request.path
            return .route(accepted)
        }
    }

    /// What a routed request becomes.
    enum RouteStep {
        /// Answered with a 101 and served on the endpoint: the 101, then what the request's
        /// pipelined frames caused.
        case opened(GatewayConfiguration.Endpoint, SessionOutput)
        /// Relayed to a backend of the route, whose answer the client gets.
        case bridge(BridgeRoute)
        /// The connection's last bytes: the route's refusal (an unknown path, the room unavailable).
        case refused([UInt8])
    }

    /// The request's path decides (`RequestRoute`): a bridge's path, an endpoint's, or a refusal.
    mutating func route(_ accepted: AcceptedHandshake, routes: [String: GatewayConfiguration.Endpoint], bridges: [String: BridgeRoute],
                        roomAvailable: Bool, log: @autoclosure () -> ConnectionLog) -> RouteStep {
        switch RequestRoute.decide(path: accepted.request.path, routes: routes, bridges: bridges, roomAvailable: roomAvailable) {
        case .endpoint(let endpoint):
            return .opened(endpoint, open(accepted, as: endpoint, log: log()))
        case .bridge(let route):
            endpoint = .bridge
            statistics.version = accepted.version
            return .bridge(route)
        case .refuse(let status, let headers, let body, let failure):
            if let failure {
                statistics.refusal = failure
                log().refused(failure)
            }
            return .refused(session.reject(status: status, headers: headers.map { ($0.name, $0.value) }, body: body).outbound)
        }
    }

    private mutating func open(_ accepted: AcceptedHandshake, as endpoint: GatewayConfiguration.Endpoint, log: ConnectionLog) -> SessionOutput {
        self.endpoint = endpoint
        statistics.opened(accepted, subprotocol: accepted.subprotocol)
        let opened = session.accept()
        sharedEncoding = session.sharedEncoding
        sendsMessages = session.state == .open
        log.opened(statistics)
        return opened
    }

    /// The handshake's deadline passed: its refusal, if the connection is still handshaking.
    mutating func handshakeTimedOut(log: @autoclosure () -> ConnectionLog) -> [UInt8]? {
        guard session.isHandshaking else { return nil }
        statistics.failure = .handshakeTimeout
        log().handshakeTimedOut(awaitingKey3: session.isAwaitingKey3)
        return session.reject(.handshakeTimeout).outbound
    }

    // MARK: Bridged client

    /// The backend accepted: the client gets a 101 with the backend's subprotocol, whatever this
    /// server would have chosen; its close is answered once the backend's is known.
    mutating func backendAccepted(subprotocol: String?) -> (request: AcceptedHandshake, opened: SessionOutput)? {
        guard let request = session.pendingRequest else { return nil }
        statistics.opened(request, subprotocol: subprotocol)
        let opened = session.accept(answeringSubprotocol: subprotocol, deferringCloseReply: true)
        sendsMessages = session.state == .open
        return (request, opened)
    }

    /// No backend took the request: the client's last bytes. A hixie client sees only that the
    /// connection failed, there is no status to give it.
    mutating func backendFailed(_ failure: UpstreamFailure) -> [UInt8] {
        statistics.refusal = .upstreamFailed(failure)
        guard statistics.version?.framing == .rfc6455 else { return [] }
        return session.reject(status: failure.downstreamStatus, body: failure.reason + "\n").outbound
    }

    // MARK: Open connection

    /// What one read of the open connection asks for, in this order: messages for the room,
    /// frames, then the events for a bridge's relay (before the frames if TCP closes after them).
    struct ReadActions {
        var forRoom: [Message] = []
        var echoes: ByteBuffer?
        var replies: [UInt8] = []
        var forRelay = ConnectionEvents()
        var closesTransport = false
    }

    /// One read's output: messages that were not lent (room members, and echoes whose bytes
    /// depend on the connection's own state) with the core's answers placed among them, or the
    /// echoes lent in place (`echoes`) with the core's answers already among them.
    mutating func read(_ output: ConnectionOutput, echoes: ByteBuffer? = nil, logPayloads: Bool,
                       log: @autoclosure () -> ConnectionLog) -> ReadActions {
        var actions = ReadActions(echoes: echoes, closesTransport: output.closeTransport)
        output.forEachInOrder(event: { event in
            statistics.note(event)
            if case .failed(let error) = event { log().failed(error) }
            guard endpoint != .bridge else { actions.forRelay.append(event); return }
            guard case .message(let message) = event else { return }
            if logPayloads { message.bytes.withUnsafeBytes { log().payload($0) } }
            guard endpoint == .echo else { actions.forRoom.append(message); return }
            let echo = encode(message, log: log())
            if actions.replies.isEmpty { actions.replies = echo } else { actions.replies += echo }   // the usual read: no copy
        }, answer: { answer in
            if actions.replies.isEmpty { actions.replies = Array(answer) } else { actions.replies += answer }
        })
        if output.closeTransport { sendsMessages = false }
        return actions
    }

    /// One read of an echo connection with a shared encoding: each message lent where it lies in
    /// the read buffer and framed from there by this thread's `encoder` into `echoes`, the
    /// core's answers (pongs, close) between them in the order of what caused them — nothing
    /// copied out or allocated per message, and no per-connection compressor ever created.
    mutating func receiveEchoingInPlace(_ bytes: UnsafeRawBufferPointer, into echoes: inout ByteBufferFrameSink, encoder: LoopEncoder,
                                        logPayloads: Bool, log: @autoclosure () -> ConnectionLog) -> ReadActions {
        let encoding = sendsMessages ? sharedEncoding : nil
        var received = 0
        var echoed = 0
        let output = session.receive(bytes, scratch: &encoder.inflateScratch) { delivery in
            switch delivery {
            case .message(let message):
                received += 1
                if logPayloads { log().payload(message.bytes) }
                guard let encoding else { return }
                do throws(WebSocketError) {
                    try encoder.shared.encode(message, as: encoding, into: &echoes)
                    echoed += 1
                } catch {
                    log().notSent(error)
                }
            case .answer(let bytes):
                echoes.writeFrameBytes(bytes)
            }
        }
        statistics.messagesIn += received
        statistics.messagesOut += echoed
        sendsMessages = session.state == .open
        return read(output.connection, echoes: echoes.buffer, logPayloads: logPayloads, log: log())
    }

    /// One message for this peer, through its session (framing, compression).
    mutating func encode(_ message: Message, log: @autoclosure () -> ConnectionLog) -> [UInt8] {
        do {
            let bytes = try session.send(message)
            statistics.messagesOut += 1
            return bytes
        } catch {
            log().notSent(error)
            return []
        }
    }

    /// A line from the room, bounded: a member whose socket does not take its bytes is closed
    /// once `perMember` bytes are waiting (or its share of the server's budget), so it can
    /// neither grow memory nor slow the others.
    mutating func deliver(_ line: PreparedLine, queued: Int, perMember: Int, budget: BufferBudget,
                          connections: @autoclosure () -> Int, log: @autoclosure () -> ConnectionLog) -> ConnectionAction {
        guard sendsMessages else { return .none }
        let buffer: ByteBuffer
        if let sharedEncoding {
            // The same bytes as every member of this loop with this encoding: framed (and
            // compressed) once for all of them.
            guard let shared = line.bytes(for: sharedEncoding, allocator: ConnectionTransport.allocator) else { return .none }
            statistics.messagesOut += 1
            buffer = shared
        } else {
            let bytes = encode(.text(line.text), log: log())
            guard !bytes.isEmpty else { return .none }
            buffer = ConnectionTransport.allocator.buffer(bytes: bytes)
        }
        switch DeliveryLimit.check(queued: queued, adding: buffer.readableBytes, perMember: perMember, budget: budget, connections: connections()) {
        case .within:
            return .writeBuffer(buffer)
        case .exceeded(let limit):
            let refusal = GatewayError.slowConsumer(queuedBytes: queued, limit: limit)
            log().slowConsumer(queuedBytes: queued, limit: limit)
            statistics.refusal = refusal
            statistics.closeCode = .policyViolation
            sendsMessages = false
            // Its socket is not reading: the close frame goes if it fits, without waiting for it.
            return .abandon(session.fail(refusal.asLocalLimit).outbound)
        }
    }

    // MARK: Keepalive

    /// What a keepalive tick asks for.
    struct KeepaliveStep {
        /// The connection is quiet: its shell may let its buffers go.
        var releaseStorage = false
        /// zlib streams the session let go for the same reason.
        var releasedZlibStreams = 0
        var action = ConnectionAction.none
        /// Silent past the policy's limit: the closing handshake started (1001).
        var closedIdle = false
    }

    /// The core's keepalive rule (`KeepalivePolicy`: pings for RFC 6455, an idle timeout for every
    /// framing) at `now`, given every byte this side has written so far.
    mutating func keepaliveTick(at now: NIODeadline, written: Int, policy: KeepalivePolicy, closeTimeout: Double,
                                log: @autoclosure () -> ConnectionLog) -> KeepaliveStep {
        var step = KeepaliveStep()
        guard session.state == .open else { return step }
        let (silent, releaseMemory) = quiet.tick(at: now, written: written)
        if releaseMemory {
            // No send buffer, no emptied read buffer, no zlib stream that would be reset before
            // its next message anyway.
            step.releaseStorage = true
            step.releasedZlibStreams = session.releaseIdleMemory()
        }
        switch session.keepalive(silentFor: silent, policy: policy) {
        case .none:
            break
        case .ping(let bytes):
            step.action = .write(bytes)
        case .close(let output):
            log().idleTimeout(silentSeconds: silent)
            step.action = closingHandshakeStarted(output, code: .goingAway, closeTimeout: closeTimeout)
            step.closedIdle = true
        }
        return step
    }

    // MARK: Closing

    /// Whether a gateway's error ends the connection (only an open one): its code and reason go
    /// through the closing handshake (room backlog full: 1013).
    mutating func failing(_ error: GatewayError) -> Bool {
        guard session.state == .open else { return false }
        statistics.refusal = error
        return true
    }

    /// Starts the closing handshake on this side's initiative (shutdown, idle): a close frame or
    /// 0xFF 0x00, then TCP is dropped when the peer answers or `closeTimeout` seconds pass.
    /// `code: nil` is a close frame without a status code; `.peerClosed` is a bridged client's
    /// close, answered now that the backend is done.
    mutating func close(code: CloseCode?, reason: String, closeTimeout: Double, log: @autoclosure () -> ConnectionLog) -> ConnectionAction {
        log().closing(code: code, reason: reason)
        if session.isHandshaking { return .closeTransport }
        guard session.state == .open || session.state == .peerClosed else { return .none }
        let output = (try? session.close(code: code, reason: reason)) ?? SessionOutput(connection: ConnectionOutput(closeTransport: true))
        return closingHandshakeStarted(output, code: code ?? .noStatusReceived, closeTimeout: closeTimeout)
    }

    private mutating func closingHandshakeStarted(_ output: SessionOutput, code: CloseCode, closeTimeout: Double) -> ConnectionAction {
        sendsMessages = false
        statistics.closeCode = code
        return output.closeTransport ? .writeAndClose(output.outbound) : .closingHandshake(output.outbound, timeout: closeTimeout)
    }

    /// TCP ended: RFC 6455 §7.1.5, closed without a close frame is 1006; hixie-75's close is the
    /// end of TCP. The events, for a bridge's relay.
    mutating func transportEnded() -> ConnectionEvents {
        sendsMessages = false
        let events = session.receiveEOF().events
        for event in events { statistics.note(event) }
        return events
    }

    /// The connection's report once it ended, logged, with its peer described.
    mutating func ended(bytesWritten: Int, log: ConnectionLog) -> ConnectionStatistics {
        statistics.bytesOut = bytesWritten
        log.closed(statistics)
        statistics.peer = log.peer
        return statistics
    }

    /// The connection's last bytes are written: nothing more is sent.
    mutating func ending() {
        sendsMessages = false
    }
}
