import Bridge
import NIOCore
import Room
import WebSocketCore

/// The NIO shell around the protocol core for one TCP connection: moves bytes into its
/// `ServerSession`, writes what it returns, routes the request, runs the timers, joins the room.
/// No protocol rule lives here.
final class WebSocketChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id: Int
    let services: GatewayServices
    /// The connection from its first request byte to its close: the core's server session.
    var session: ServerSession
    var endpoint: GatewayConfiguration.Endpoint = .echo
    /// The channel's side: what is written, flushed, counted, recorded and closed.
    let transport: ConnectionTransport
    var context: ChannelHandlerContext? { transport.context }
    var statistics: ConnectionStatistics
    var quiet = QuietSpell(now: .now())
    var joinedRoom = false
    var finished = false
    /// On a bridged path: the pair of legs and the relay between them.
    var bridge: BridgedPair?
    /// Kept beside `session` so that a room delivery reads two stored properties instead of
    /// asking the session: whether messages may be sent, and the encoding this connection shares
    /// (fixed at the handshake).
    var sendsMessages = false
    var sharedEncoding: SharedEncoding?
    /// The peer's address, described only when logged or reported: a description stored at once
    /// would be one more string (64 B) per connection, held while idle.
    var peerAddress: SocketAddress?

    var configuration: GatewayConfiguration { services.configuration }
    var log: ConnectionLog { ConnectionLog(logger: services.logger, id: id, peerAddress: peerAddress) }

    init(id: Int, services: GatewayServices) {
        self.id = id
        self.services = services
        session = ServerSession(configuration: services.configuration.handshake, limits: services.configuration.limits)
        statistics = ConnectionStatistics(id: id, peer: "?")
        transport = ConnectionTransport(budget: services.budget)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        transport.attach(context, handler: self)
    }

    /// The context holds this handler, and this handler its context: break the cycle when the
    /// pipeline is torn down, or every closed connection's state stays in memory (GatewayMemoryTests).
    func handlerRemoved(context: ChannelHandlerContext) {
        transport.detach()
    }

    func channelActive(context: ChannelHandlerContext) {
        peerAddress = context.channel.remoteAddress   // the channel's cached one: context.remoteAddress asks the socket and makes another
        let entry = ConnectionRegistry.Entry(eventLoop: context.eventLoop, address: peerAddress?.ipAddress, transport: transport)
        if let refusal = services.registry.admit(id, entry) {
            statistics.refusal = refusal
            log.refused(refusal)
            writeAndClose(HTTPResponseWriter.response(status: refusal.httpStatus ?? 503, headers: [("Retry-After", "5")], body: refusal.reason + "\n"))
            return
        }
        if let directory = configuration.recordDirectory {
            transport.recorder = ConnectionRecorder(directory: directory, id: id, client: context.remoteAddress, server: context.localAddress)
            if transport.recorder == nil { log.notRecorded(directory: directory) }
        }
        // Timers are never cancelled (LoopTimers): each action checks that it is still wanted.
        let transport = self.transport
        LoopTimers.current(on: context.eventLoop).after(.seconds(configuration.handshakeTimeoutSeconds)) {
            transport.handler?.handshakeTimedOut()
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        statistics.bytesIn += buffer.readableBytes
        transport.recordRead(buffer)
        quiet.noteRead(at: .now())
        buffer.withUnsafeReadableBytes { receive($0) }   // read in place: the core copies what it keeps
    }

    /// The socket took (or stopped taking) what was waiting: count again.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        transport.refresh()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // RFC 6455 §7.1.5: closed without a close frame is 1006; hixie-75's close is the end of TCP.
        for event in session.receiveEOF().events {
            statistics.note(event)
            bridge?.received(event, from: .client)
        }
        sendsMessages = false
        transport.transportEnded()
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log.transportError(error)
        context.close(promise: nil)
    }

    // MARK: Handshake

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !finished else { return }
        guard endpoint == .echo, sharedEncoding != nil else {
            handle(session.receive(bytes))
            return
        }
        echoInPlace(bytes)
    }

    func handle(_ output: SessionOutput) {
        switch output.handshake {
        case nil:
            sendsMessages = session.state == .open
            apply(output.connection, echoes: ByteBufferFrameSink(allocator: ConnectionTransport.allocator))
        case .plainHTTP(let request, _)?:
            statistics.path = request.path
            writeAndClose(StaticPages.response(for: request, routes: configuration.routes, bridgedPaths: services.bridgedPaths,
                                               metrics: services.metricsExposition))
        case .failed(let error, _)?:
            statistics.failure = error
            log.handshakeRefused(error)
            writeAndClose(output.outbound)
        case .opened?:
            break   // a client session's event
        case .request(let accepted)?:
            statistics.path = accepted.request.path
            switch RequestRoute.decide(path: accepted.request.path, routes: configuration.routes, bridges: configuration.bridges,
                                       roomAvailable: services.room.cluster?.isAvailable ?? true) {
            case .endpoint(let endpoint):
                open(accepted, as: endpoint)
            case .bridge(let route):
                startBridge(accepted, route: route)
            case .refuse(let status, let headers, let body, let failure):
                if let failure {
                    statistics.refusal = failure
                    log.refused(failure)
                }
                writeAndClose(session.reject(status: status, headers: headers.map { ($0.name, $0.value) }, body: body).outbound)
            }
        }
    }

    /// Answers the request with a 101 and serves it on `endpoint` (echo or the room).
    func open(_ accepted: AcceptedHandshake, as endpoint: GatewayConfiguration.Endpoint) {
        self.endpoint = endpoint
        statistics.opened(accepted, subprotocol: accepted.subprotocol)
        let opened = session.accept()
        sharedEncoding = session.sharedEncoding
        log.opened(statistics)
        startKeepalive(version: accepted.version)
        if endpoint == .room { joinRoom(dialect: ChatDialect(subprotocol: accepted.subprotocol), version: accepted.version) }
        // The 101 first, then what the request's pipelined frames caused.
        handle(opened)
    }

    func handshakeTimedOut() {
        // A bridged request waits for its backend under the route's own timeout (504).
        guard session.isHandshaking, bridge == nil else { return }
        statistics.failure = .handshakeTimeout
        log.handshakeTimedOut(awaitingKey3: session.isAwaitingKey3)
        writeAndClose(session.reject(.handshakeTimeout).outbound)
    }

    // MARK: Open connection

    /// What one read produced: messages that were not lent (room members, and echoes whose bytes
    /// depend on the connection's own state) with the core's answers placed among them, or the
    /// echoes lent in place with the core's answers already among them.
    func apply(_ output: ConnectionOutput, echoes: ByteBufferFrameSink) {
        var replies: [UInt8] = []
        var forRelay: [ConnectionEvent] = []
        output.forEachInOrder(event: { event in
            statistics.note(event)
            if case .failed(let error) = event { log.failed(error) }
            guard endpoint != .bridge else { forRelay.append(event); return }
            guard case .message(let message) = event else { return }
            if configuration.logPayloads { message.bytes.withUnsafeBytes { log.payload($0) } }
            guard endpoint == .echo else { services.room.receive(message, from: id); return }
            let echo = encode(message)
            if replies.isEmpty { replies = echo } else { replies += echo }   // the usual read: no copy
        }, answer: { answer in
            if replies.isEmpty { replies = Array(answer) } else { replies += answer }
        })
        if let frames = echoes.buffer {
            transport.write(frames)
        }
        if output.closeTransport {
            // The relay hears of the close before the pair ends with TCP (the backend gets the
            // client's code); then the last bytes (our close frame), and TCP is dropped.
            for event in forRelay { bridge?.received(event, from: .client) }
            writeAndClose(replies)
            return
        }
        transport.write(replies)
        // After this read's answers: a close the relay asks for comes after any pong.
        for event in forRelay { bridge?.received(event, from: .client) }
    }

    /// One message for this peer, through its session (framing, compression).
    func encode(_ message: Message) -> [UInt8] {
        do {
            let bytes = try session.send(message)
            statistics.messagesOut += 1
            return bytes
        } catch {
            log.notSent(error)
            return []
        }
    }
}

extension TimeAmount {
    static func seconds(_ value: Double) -> TimeAmount { .nanoseconds(Int64(value * 1_000_000_000)) }
}
