import Bridge
import NIOCore
import Room
import WebSocketCore

/// The NIO shell of one TCP connection: moves bytes into its `GatewayConnection`, carries out
/// what it asks (writes, closes, the room's and the relay's messages), routes the request, runs
/// the timers, joins the room. No protocol rule and no gateway decision lives here.
final class WebSocketChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id: Int
    let services: GatewayServices
    /// The connection without its socket: the session and the gateway's decisions.
    var connection: GatewayConnection
    /// The channel's side: what is written, flushed, counted, recorded and closed.
    let transport: ConnectionTransport
    var context: ChannelHandlerContext? { transport.context }
    var joinedRoom = false
    var finished = false
    /// On a bridged path: the pair of legs and the relay between them.
    var bridge: BridgedPair?
    /// The peer's address, described only when logged or reported: a description stored at once
    /// would be one more string (64 B) per connection, held while idle.
    var peerAddress: SocketAddress?

    var configuration: GatewayConfiguration { services.configuration }
    var log: ConnectionLog { ConnectionLog(logger: services.logger, id: id, peerAddress: peerAddress) }

    init(id: Int, services: GatewayServices) {
        self.id = id
        self.services = services
        connection = GatewayConnection(id: id, configuration: services.configuration, now: .now())
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
            writeAndClose(connection.refuseAdmission(refusal, log: log))
            return
        }
        if let directory = configuration.recordDirectory, !transport.startRecording(in: directory, id: id) {
            log.notRecorded(directory: directory)
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
        connection.noteRead(buffer.readableBytes, at: .now())
        transport.recordRead(buffer)
        buffer.withUnsafeReadableBytes { receive($0) }   // read in place: the core copies what it keeps
    }

    /// The socket took (or stopped taking) what was waiting: count again.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        transport.refresh()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay(connection.transportEnded())
        transport.transportEnded()
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log.transportError(error)
        context.close(promise: nil)
    }

    // MARK: Session outputs

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !finished else { return }
        guard connection.echoesInPlace else {
            handle(connection.receive(bytes))
            return
        }
        var echoes = ByteBufferFrameSink(allocator: ConnectionTransport.allocator, spare: transport.lendSpare())   // used by its first frame
        perform(connection.receiveEchoingInPlace(bytes, into: &echoes, encoder: .current, logPayloads: configuration.logPayloads, log: log))
        if !finished { transport.keepSpare(echoes.spareAfterwards) }
    }

    func handle(_ output: SessionOutput) {
        switch connection.step(for: output, log: log) {
        case .read(let output):
            perform(connection.read(output, logPayloads: configuration.logPayloads, log: log))
        case .page(let request):
            writeAndClose(StaticPages.response(for: request, routes: configuration.routes, bridgedPaths: services.bridgedPaths,
                                               metrics: services.metricsExposition))
        case .refused(let bytes):
            writeAndClose(bytes)
        case .route(let accepted):
            switch connection.route(accepted, routes: configuration.routes, bridges: configuration.bridges,
                                    roomAvailable: services.room.cluster?.isAvailable ?? true, log: log) {
            case .opened(let endpoint, let opened):
                startKeepalive(version: accepted.version)
                if endpoint == .room { joinRoom(dialect: ChatDialect(subprotocol: accepted.subprotocol), version: accepted.version) }
                handle(opened)   // the 101 first, then what the request's pipelined frames caused
            case .bridge(let route):
                startBridge(accepted, route: route)
            case .refused(let bytes):
                writeAndClose(bytes)
            }
        }
    }

    func handshakeTimedOut() {
        // A bridged request waits for its backend under the route's own timeout (504).
        guard bridge == nil, let refusal = connection.handshakeTimedOut(log: log) else { return }
        writeAndClose(refusal)
    }

    /// One read's actions: the room's messages, then the frames; a bridge's relay hears of a close
    /// before the pair ends with TCP (the backend gets the client's code), and of anything else
    /// after this read's answers (a close the relay asks for comes after any pong).
    func perform(_ read: GatewayConnection.ReadActions) {
        for message in read.forRoom { services.room.receive(message, from: id) }
        if let echoes = read.echoes { transport.write(echoes) }
        if read.closesTransport {
            relay(read.forRelay)
            writeAndClose(read.replies)
            return
        }
        transport.write(read.replies)
        relay(read.forRelay)
    }

    func perform(_ action: ConnectionAction) {
        switch action {
        case .none: break
        case .write(let bytes): transport.write(bytes)
        case .writeBuffer(let buffer): transport.write(buffer)
        case .writeAndClose(let bytes): writeAndClose(bytes)
        case .closingHandshake(let bytes, let timeout):
            transport.write(bytes)
            transport.close(after: timeout)
        case .abandon(let bytes): transport.abandon(sending: bytes)
        case .closeTransport: transport.close()
        }
    }

    func relay(_ events: ConnectionEvents) {
        guard let bridge else { return }
        for event in events { bridge.received(event, from: .client) }
    }
}
