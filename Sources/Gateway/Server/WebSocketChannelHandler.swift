import Logging
import NIOCore
import Room
import WebSocketCore

/// The NIO shell around the protocol core for one TCP connection: moves bytes into its
/// `ServerSession`, writes what it returns, routes the request, runs the timers, joins the room.
/// No protocol rule lives here.
final class WebSocketChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let id: Int
    private let services: GatewayServices
    /// The connection from its first request byte to its close: the core's server session.
    private var session: ServerSession
    private var endpoint: GatewayConfiguration.Endpoint = .echo
    private var context: ChannelHandlerContext?
    private var statistics: ConnectionStatistics
    private var lastActivity = NIODeadline.now()
    /// For the keepalive tick: whether this connection wrote since the last tick, and whether it
    /// already gave its memory back in this quiet spell (once per spell, not once per tick).
    private var wroteSinceTick = false
    private var releasedWhileQuiet = false
    /// Bytes handed to the channel that its socket had not taken when last asked (after each
    /// flush, and on writability changes): counted against the limits with the outbox's bytes.
    private var channelBytes = 0
    /// The channel is gone: nothing more is counted in the server-wide budget.
    private var transportClosed = false
    private var flushScheduled = false
    /// Frames written in this pass of the event loop, not yet handed to the channel.
    private var outbox = FrameOutbox()
    /// The buffer of the last echo or coalesced pass, reused by the next one.
    private var spareSendBuffer = SpareSendBuffer()
    /// What this member holds that its peer has not taken: this pass's frames and the channel's.
    private var queuedBytes: Int { outbox.bytes + channelBytes }
    private var joinedRoom = false
    private var finished = false
    private var recorder: ConnectionRecorder?
    /// Kept beside `session` so that a room delivery reads two stored properties instead of
    /// asking the session: whether messages may be sent, and the encoding this connection shares
    /// (fixed at the handshake).
    private var sendsMessages = false
    private var sharedEncoding: SharedEncoding?
    /// The channel's allocator is NIO's default (the server never sets another): one for all
    /// handlers rather than four function pointers stored in each.
    private static let allocator = ByteBufferAllocator()
    private var allocator: ByteBufferAllocator { Self.allocator }
    /// The peer's address, described only when logged or reported: a description stored at once
    /// would be one more string (64 B) per connection, held while idle.
    private var peerAddress: SocketAddress?
    private var peer: String { peerAddress?.description ?? "?" }
    private lazy var link = HandlerLink(self)

    private var configuration: GatewayConfiguration { services.configuration }
    private var logger: Logger { services.logger }

    init(id: Int, services: GatewayServices) {
        self.id = id
        self.services = services
        session = ServerSession(configuration: services.configuration.handshake, limits: services.configuration.limits)
        statistics = ConnectionStatistics(id: id, peer: "?")
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// The context holds this handler, and this handler its context: break the cycle when the
    /// pipeline is torn down, or every closed connection's state stays in memory (GatewayMemoryTests).
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        link.handler = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        peerAddress = context.channel.remoteAddress   // the channel's cached one: context.remoteAddress asks the socket and makes another
        let admission = services.registry.admit(id, ConnectionRegistry.Entry(eventLoop: context.eventLoop, address: peerAddress?.ipAddress, link: link))
        guard admission == .admitted else {
            let refusal: WebSocketError = admission == .serverFull ? .serverFull(limit: configuration.maxConnections)
                                                                   : .tooManyFromAddress(limit: configuration.maxConnectionsPerAddress)
            statistics.failure = refusal
            logger.warning("connection refused", metadata: ["peer": "\(peer)", "reason": "\(refusal.reason)"])
            writeAndClose(HTTPResponseWriter.response(status: refusal.httpStatus ?? 503, headers: [("Retry-After", "5")], body: refusal.reason + "\n"))
            return
        }
        if let directory = configuration.recordDirectory {
            recorder = ConnectionRecorder(directory: directory, id: id, client: context.remoteAddress, server: context.localAddress)
            if recorder == nil { logger.warning("cannot record connection", metadata: ["id": "\(id)", "directory": "\(directory)"]) }
        }
        // Timers are never cancelled (LoopTimers): each action checks that it is still wanted.
        let link = self.link
        LoopTimers.current(on: context.eventLoop).after(.seconds(configuration.handshakeTimeoutSeconds)) {
            link.handler?.handshakeTimedOut()
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        statistics.bytesIn += buffer.readableBytes
        if let recorder { recorder.record(.c2s, Array(buffer.readableBytesView)) }
        lastActivity = .now()
        releasedWhileQuiet = false
        buffer.withUnsafeReadableBytes { receive($0) }   // read in place: the core copies what it keeps
    }

    /// The socket took (or stopped taking) what was waiting: count again.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        refreshChannelBytes()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // RFC 6455 §7.1.5: closed without a close frame is 1006; hixie-75's close is the end of TCP.
        for event in session.receiveEOF().events {
            if case .transportEnded(let code) = event, statistics.closeCode == nil, statistics.failure == nil {
                statistics.closeCode = code
            }
        }
        sendsMessages = false
        transportClosed = true
        services.budget.remove(channelBytes)
        channelBytes = 0
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("transport error", metadata: ["id": "\(id)", "error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Handshake

    private func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !finished else { return }
        guard endpoint == .echo, sharedEncoding != nil else {
            handle(session.receive(bytes))
            return
        }
        var echoes = ByteBufferFrameSink(allocator: allocator, spare: spareSendBuffer)   // used by its first frame
        spareSendBuffer.release()
        // Each message lent where it lies in the read buffer and framed from there into the send
        // buffer, the core's answers (pongs, close) between them in the order of what caused
        // them: nothing copied out or allocated per message.
        let output = session.receive(bytes, scratch: &LoopEncoder.current.inflateScratch) { delivery in
            switch delivery {
            case .message(let message): echo(message, into: &echoes)
            case .answer(let bytes): echoes.writeFrameBytes(bytes)
            }
        }
        sendsMessages = session.state == .open
        apply(output.connection, echoes: echoes)
        if !finished { spareSendBuffer = echoes.spareAfterwards }
    }

    private func handle(_ output: SessionOutput) {
        switch output.handshake {
        case nil:
            sendsMessages = session.state == .open
            apply(output.connection, echoes: ByteBufferFrameSink(allocator: allocator))
        case .plainHTTP(let request, _)?:
            statistics.path = request.path
            writeAndClose(StaticPages.response(for: request, routes: configuration.routes, metrics: services.metricsExposition))
        case .failed(let error, _)?:
            statistics.failure = error
            logger.info("handshake refused", metadata: ["id": "\(id)", "peer": "\(peer)", "status": "\(error.httpStatus ?? 0)", "reason": "\(error.reason)"])
            writeAndClose(output.outbound)
        case .opened?:
            break   // a client session's event
        case .request(let accepted)?:
            statistics.path = accepted.request.path
            guard let endpoint = configuration.routes[accepted.request.path] else {
                writeAndClose(session.reject(status: 404, body: "no WebSocket endpoint at \(accepted.request.path)\n").outbound)
                return
            }
            if endpoint == .room, let cluster = services.room.cluster, !cluster.isAvailable {
                let refusal = WebSocketError.roomUnavailable
                statistics.failure = refusal
                logger.warning("connection refused", metadata: ["peer": "\(peer)", "reason": "\(refusal.reason)"])
                writeAndClose(session.reject(status: refusal.httpStatus ?? 503, headers: [("Retry-After", "5")], body: refusal.reason + "\n").outbound)
                return
            }
            self.endpoint = endpoint
            statistics.version = accepted.version
            statistics.extensions = accepted.deflate?.response.description
            statistics.subprotocol = accepted.subprotocol
            let opened = session.accept()
            sharedEncoding = session.sharedEncoding
            logger.info("connection opened", metadata: [
                "id": "\(id)", "peer": "\(peer)", "path": "\(statistics.path)", "version": "\(accepted.version.rawValue)",
                "extensions": "\(statistics.extensions ?? "-")", "subprotocol": "\(accepted.subprotocol ?? "-")",
            ])
            startKeepalive(version: accepted.version)
            if endpoint == .room { joinRoom(dialect: ChatDialect(subprotocol: accepted.subprotocol), version: accepted.version) }
            // The 101 first, then what the request's pipelined frames caused.
            handle(opened)
        }
    }

    private func handshakeTimedOut() {
        guard session.isHandshaking else { return }
        statistics.failure = .handshakeTimeout
        logger.info("handshake timed out", metadata: ["id": "\(id)", "peer": "\(peer)", "awaitingKey3": "\(session.isAwaitingKey3)"])
        writeAndClose(session.reject(.handshakeTimeout).outbound)
    }

    // MARK: Open connection

    /// What one read produced: messages that were not lent (room members, and echoes whose bytes
    /// depend on the connection's own state) with the core's answers placed among them, or the
    /// echoes lent in place with the core's answers already among them.
    private func apply(_ output: ConnectionOutput, echoes: ByteBufferFrameSink) {
        var replies: [UInt8] = []
        output.forEachInOrder(event: { event in
            switch event {
            case .message(let message):
                statistics.messagesIn += 1
                if configuration.logPayloads { message.bytes.withUnsafeBytes { logPayload($0) } }
                switch endpoint {
                case .echo:
                    let echo = encode(message)
                    if replies.isEmpty { replies = echo } else { replies += echo }   // the usual read: no copy
                case .room: services.room.receive(message, from: id)
                }
            case .failed(let error):
                statistics.failure = error
                statistics.closeCode = error.closeCode
                logger.info("connection failed", metadata: ["id": "\(id)", "reason": "\(error.reason)", "close": "\(error.closeCode?.rawValue ?? 0)"])
            case .closeReceived(let code, _):
                statistics.closeCode = code ?? .noStatusReceived
            case .ping, .pong, .transportEnded:
                break
            }
        }, answer: { answer in
            if replies.isEmpty { replies = Array(answer) } else { replies += answer }
        })
        if let frames = echoes.buffer {
            write(frames)
        }
        if output.closeTransport {
            // Write the last bytes (our close frame), then drop TCP once they are out.
            writeAndClose(replies)
            return
        }
        if !replies.isEmpty {
            write(replies)
        }
    }

    /// An echo of a message lent in place, framed by this thread's shared encoder straight into
    /// the read's send buffer (no per-connection compressor is ever created). Only for connections
    /// with a shared encoding; nothing is sent once the connection no longer sends messages.
    private func echo(_ message: MessageView, into echoes: inout ByteBufferFrameSink) {
        statistics.messagesIn += 1
        if configuration.logPayloads { logPayload(message.bytes) }
        // `sendsMessages` is what the connection's `send` checks, kept beside `state` (see its declaration).
        guard sendsMessages, let sharedEncoding else { return }
        do {
            try LoopEncoder.current.shared.encode(message, as: sharedEncoding, into: &echoes)
        } catch {
            logger.debug("message not sent", metadata: ["id": "\(id)", "reason": "\(error.reason)"])
            return
        }
        statistics.messagesOut += 1
    }

    private func logPayload(_ bytes: UnsafeRawBufferPointer) {
        logger.info("message", metadata: ["id": "\(id)", "bytes": "\(bytes.count)",
                                          "body": "\(String(decoding: bytes.prefix(200), as: UTF8.self))"])
    }

    /// One message for this peer, through its session (framing, compression).
    private func encode(_ message: Message) -> [UInt8] {
        do {
            let bytes = try session.send(message)
            statistics.messagesOut += 1
            return bytes
        } catch {
            logger.debug("message not sent", metadata: ["id": "\(id)", "reason": "\(error.reason)"])
            return []
        }
    }

    private func joinRoom(dialect: ChatDialect, version: ProtocolVersion) {
        let handler = NIOLoopBound(self, eventLoop: context!.eventLoop)
        joinedRoom = true
        let loop = context!.eventLoop
        services.room.join(RoomMember(id: id, eventLoop: loop, deliver: { line in handler.value.deliver(line) },
                                      close: { error in loop.execute { handler.value.fail(error) } }),
                           dialect: dialect, version: version)
    }

    /// A line from the room. Bounded: a member whose socket does not take its bytes is closed
    /// once `maxQueuedBytesPerMember` are waiting, so it can neither grow memory nor slow others.
    private func deliver(_ line: PreparedLine) {
        // Two stored flags, not the connection: projecting it out of `state` copied it per member.
        guard sendsMessages, context != nil else { return }
        if channelBytes > 0 { refreshChannelBytes() }   // stale since the last flush: the socket may have taken it
        let buffer: ByteBuffer
        if let sharedEncoding {
            // The same bytes as every member of this loop with this encoding: framed (and
            // compressed) once for all of them.
            guard let shared = line.bytes(for: sharedEncoding, allocator: allocator) else { return }
            statistics.messagesOut += 1
            buffer = shared
        } else {
            let bytes = encode(.text(line.text))
            guard !bytes.isEmpty else { return }
            buffer = allocator.buffer(bytes: bytes)
        }
        guard queuedBytes + buffer.readableBytes <= configuration.maxQueuedBytesPerMember else {
            slowConsumer(limit: configuration.maxQueuedBytesPerMember)
            return
        }
        if services.budget.isOverdrawn(memberQueued: queuedBytes, adding: buffer.readableBytes, connections: services.registry.count) {
            slowConsumer(limit: configuration.maxBufferedBytesTotal / max(services.registry.count, 1))
            return
        }
        write(buffer)
    }

    private func slowConsumer(limit: Int) {
        logger.warning("slow consumer closed", metadata: ["id": "\(id)", "peer": "\(peer)", "queued": "\(queuedBytes)", "limit": "\(limit)"])
        statistics.failure = .slowConsumer(queuedBytes: queuedBytes, limit: limit)
        statistics.closeCode = .policyViolation
        guard session.state == .open else { return }
        sendsMessages = false
        // Its socket is not reading: send the close frame if it fits, but do not wait for it.
        let output = session.fail(.slowConsumer(queuedBytes: queuedBytes, limit: limit))
        dropOutbox()   // frames it was never going to read
        if let context {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output.outbound)), promise: nil)
            context.close(promise: nil)
        }
    }

    /// Closes with the error's close code (room backlog full: 1013), through the closing handshake.
    func fail(_ error: WebSocketError) {
        guard session.state == .open else { return }
        statistics.failure = error
        closeSession(code: error.closeCode ?? .policyViolation, reason: error.reason)
    }

    /// Closes the socket now, whatever the connection's state (the end of a shutdown's grace period).
    func closeTransport() {
        context?.close(promise: nil)
    }

    /// Starts the closing handshake on this endpoint's initiative (shutdown, idle): close frame or
    /// 0xFF 0x00, then TCP is dropped when the peer answers or `closeTimeoutSeconds` pass.
    func closeSession(code: CloseCode, reason: String) {
        logger.debug("closing", metadata: ["id": "\(id)", "code": "\(code.rawValue)", "reason": "\(reason)"])
        if session.isHandshaking {
            context?.close(promise: nil)
            return
        }
        guard session.state == .open else { return }
        let output = (try? session.close(code: code, reason: reason)) ?? SessionOutput(connection: ConnectionOutput(closeTransport: true))
        closingHandshakeStarted(output, code: code)
    }

    /// Our close is written; TCP is dropped when the peer answers or `closeTimeoutSeconds` pass.
    private func closingHandshakeStarted(_ output: SessionOutput, code: CloseCode) {
        sendsMessages = false
        statistics.closeCode = code
        if output.closeTransport {
            writeAndClose(output.outbound)
            return
        }
        write(output.outbound)
        if let loop = context?.eventLoop {
            let link = self.link
            LoopTimers.current(on: loop).after(.seconds(configuration.closeTimeoutSeconds)) {
                link.handler?.context?.close(promise: nil)
            }
        }
    }

    /// The core's keepalive rule (`KeepalivePolicy`: pings for RFC 6455 members, an idle timeout
    /// for every framing), asked every half of its shortest delay.
    private func startKeepalive(version: ProtocolVersion) {
        guard let context, let period = configuration.keepalive.tickInterval(for: version.framing) else { return }
        // The action captures the link alone, which serves as its context: capturing the delays
        // too allocated a context per connection, held for its whole life.
        let link = self.link
        LoopTimers.current(on: context.eventLoop).every(.seconds(period)) {
            guard let handler = link.handler, !handler.finished else { return .stop }
            handler.keepaliveTick()
            return .again
        }
    }

    private func keepaliveTick() {
        guard session.state == .open else { return }
        let silent = Double((NIODeadline.now() - lastActivity).nanoseconds) / 1e9
        // Quiet: nothing read for a second and nothing written since the last tick (a member that
        // only listens to a busy room is not quiet: it reuses its send buffer for every pass).
        if silent >= 1 && !wroteSinceTick && !releasedWhileQuiet {
            // Hold no send buffer, no emptied read buffer, no zlib stream that would be reset
            // before its next message anyway.
            spareSendBuffer.release()
            outbox.releaseStorage()
            let freedStreams = session.releaseIdleMemory()
            releasedWhileQuiet = true
            if freedStreams > 0 { services.releasedZlibStreams.add(freedStreams, ordering: .relaxed) }
        }
        wroteSinceTick = false
        switch session.keepalive(silentFor: silent, policy: configuration.keepalive) {
        case .none:
            break
        case .ping(let bytes):
            write(bytes)
        case .close(let output):
            logger.info("idle timeout", metadata: ["id": "\(id)", "silentSeconds": "\(Int(silent))"])
            closingHandshakeStarted(output, code: .goingAway)
        }
    }

    // MARK: Writing

    private func write(_ bytes: [UInt8]) {
        guard context != nil, !bytes.isEmpty else { return }
        write(allocator.buffer(bytes: bytes))
    }

    /// Queues a frame: it reaches the channel at the end of this pass of the event loop, with the
    /// others written in the pass (`flushOutbox`). Counted against the member's and the server's
    /// limits from now until the socket has taken it.
    private func write(_ buffer: ByteBuffer) {
        guard context != nil, buffer.readableBytes > 0 else { return }
        let count = buffer.readableBytes
        wroteSinceTick = true
        releasedWhileQuiet = false
        statistics.bytesOut += count
        if let recorder { recorder.record(.s2c, Array(buffer.readableBytesView)) }
        outbox.append(buffer)
        scheduleFlush()
    }

    /// One flush per pass of the event loop, however many frames were written in it.
    private func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        LoopFlusher.current(on: context.eventLoop).schedule(self)
    }

    /// The flush `scheduleFlush` asked for (called by this loop's `LoopFlusher`).
    func flushScheduledOutbox() {
        flushScheduled = false
        flushOutbox()
    }

    /// Hands this pass's frames to the channel and flushes, then asks the channel what its socket
    /// did not take (`refreshChannelBytes`). No promise per write: a promise and its callback were
    /// three allocations per pass per member, for a figure the channel keeps anyway. `completion`
    /// (closing only) is fulfilled once the last frame is written.
    private func flushOutbox(completion: EventLoopPromise<Void>? = nil) {
        guard let context, !transportClosed else { dropOutbox(); completion?.succeed(); return }
        if outbox.count > 1 { coalesceOutbox() }
        let bytes = outbox.bytes
        guard let (first, more) = outbox.takeFrames() else { completion?.succeed(); return }
        context.write(wrapOutboundOut(first), promise: more.isEmpty ? completion : nil)
        for (index, frame) in more.enumerated() {
            context.write(wrapOutboundOut(frame), promise: index == more.count - 1 ? completion : nil)
        }
        outbox.reuseStorage(of: consume more)
        // The server-wide budget is shared by every loop: touched once per pass, not per frame.
        services.budget.add(bytes)
        channelBytes += bytes
        context.flush()
        refreshChannelBytes()
    }

    /// What the socket has not taken yet, as the channel counts it; the server-wide budget follows.
    private func refreshChannelBytes() {
        guard !transportClosed, let context else { return }
        let buffered = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? channelBytes
        services.budget.adjust(by: buffered - channelBytes)
        channelBytes = buffered
    }

    /// Copies runs of small frames into one buffer (a member of a busy room gets dozens per pass,
    /// and a `write` each would dominate), the last run into the spare send buffer, kept for the
    /// next pass.
    private func coalesceOutbox() {
        let capacity = min(outbox.bytes, 64 * 1024)
        if let lastRun = outbox.mergeSmallFrames(upTo: 2048, emptyRun: { spareSendBuffer.empty(capacity: capacity, allocator: allocator) }) {
            spareSendBuffer.keep(lastRun)
        }
    }

    /// Frames that will never be written (the member is gone or stuck): release their accounting.
    private func dropOutbox() {
        outbox.removeAll()   // not yet in the server-wide budget (added when handed over)
    }

    private func writeAndClose(_ bytes: [UInt8]) {
        sendsMessages = false
        guard let context else { dropOutbox(); return }
        let channel = context.channel
        write(bytes)
        let written = channel.eventLoop.makePromise(of: Void.self)
        flushOutbox(completion: written)
        written.futureResult.whenComplete { _ in
            // RFC 9112 §9.6: close in stages. Send FIN, keep reading (input is ignored once closed)
            // until the peer closes or 2 s pass: closing with unread input sends a RST, which can
            // destroy the answer (a 503, a close frame) before the peer has read it.
            channel.close(mode: .output).whenComplete { result in
                if case .failure = result { channel.close(promise: nil); return }
                LoopTimers.current(on: channel.eventLoop).after(.milliseconds(2000)) { channel.close(promise: nil) }
            }
        }
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        dropOutbox()
        spareSendBuffer.release()
        services.registry.remove(id)
        recorder?.close()
        recorder = nil
        if joinedRoom { services.room.leave(id) }
        logger.info("connection closed", metadata: [
            "id": "\(id)", "peer": "\(peer)", "path": "\(statistics.path)",
            "version": "\(statistics.version?.rawValue ?? "-")", "extensions": "\(statistics.extensions ?? "-")",
            "subprotocol": "\(statistics.subprotocol ?? "-")",
            "close": "\(statistics.closeCode.map { String($0.rawValue) } ?? "-")",
            "failure": "\(statistics.failure?.identifier ?? "-")",
            "in": "\(statistics.messagesIn) msgs/\(statistics.bytesIn) B", "out": "\(statistics.messagesOut) msgs/\(statistics.bytesOut) B",
        ])
        statistics.peer = peer
        services.observer?(statistics)
    }
}

extension TimeAmount {
    static func seconds(_ value: Double) -> TimeAmount { .nanoseconds(Int64(value * 1_000_000_000)) }
}
