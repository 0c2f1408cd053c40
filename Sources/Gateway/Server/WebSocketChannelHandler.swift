import Logging
import NIOCore
import WebSocketCore

/// The NIO shell around the protocol core for one TCP connection: moves bytes into the
/// handshake and then the connection state machine, writes what they return, runs the timers.
/// No protocol rule lives here.
final class WebSocketChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case handshaking(ServerHandshake)
        case open(any WebSocketConnection, GatewayConfiguration.Endpoint)
        case closed
    }

    private let configuration: GatewayConfiguration
    private let logger: Logger
    private let observer: ConnectionObserver?
    private var state: State
    private var statistics: ConnectionStatistics
    private var handshakeTimeout: Scheduled<Void>?

    init(id: Int, configuration: GatewayConfiguration, logger: Logger, observer: ConnectionObserver?) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        state = .handshaking(ServerHandshake(configuration: configuration.handshake))
        statistics = ConnectionStatistics(id: id, peer: "?")
    }

    func channelActive(context: ChannelHandlerContext) {
        statistics.peer = context.remoteAddress?.description ?? "?"
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        handshakeTimeout = context.eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.handshakeTimeoutSeconds * 1000))) {
            handler.value.handshakeTimedOut(context: loopBound.value)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        statistics.bytesIn += bytes.count
        receive(bytes, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        if case .closed = state {} else { finish() }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("transport error", metadata: ["id": "\(statistics.id)", "error": "\(error)"])
        context.close(promise: nil)
    }

    private func receive(_ bytes: [UInt8], context: ChannelHandlerContext) {
        switch state {
        case .closed:
            return
        case .handshaking(var handshake):
            let result = handshake.receive(bytes)
            state = .handshaking(handshake)
            handle(result, context: context)
        case .open(var connection, let endpoint):
            state = .closed  // hand the connection over uniquely while it mutates
            let output = connection.receive(bytes)
            state = .open(connection, endpoint)
            apply(output, context: context)
        }
    }

    private func handle(_ result: ServerHandshakeResult, context: ChannelHandlerContext) {
        switch result {
        case .needMoreData:
            return
        case .notWebSocket(let request, _):
            handshakeTimeout?.cancel()
            let known = configuration.routes[request.path] != nil
            let response = known
                ? HTTPResponseWriter.response(status: 426, headers: [("Sec-WebSocket-Version", "13, 8, 7"), ("Upgrade", "websocket")],
                                              body: "\(request.path) is a WebSocket endpoint\n")
                : HTTPResponseWriter.response(status: 404, body: "no such endpoint: \(request.path)\n")
            writeAndClose(response, context: context)
        case .rejected(let error, let response):
            handshakeTimeout?.cancel()
            statistics.failure = error
            logger.info("handshake refused", metadata: ["id": "\(statistics.id)", "status": "\(error.httpStatus ?? 0)", "reason": "\(error.reason)"])
            writeAndClose(response, context: context)
        case .accepted(let accepted):
            handshakeTimeout?.cancel()
            statistics.path = accepted.request.path
            guard let endpoint = configuration.routes[accepted.request.path] else {
                writeAndClose(HTTPResponseWriter.response(status: 404, body: "no such endpoint: \(accepted.request.path)\n"), context: context)
                return
            }
            statistics.version = accepted.version
            statistics.extensions = accepted.deflate?.response.description
            let connection = accepted.makeConnection(limits: configuration.limits,
                                                     deflateConfiguration: configuration.handshake.deflate ?? DeflateConfiguration())
            state = .open(connection, endpoint)
            write(accepted.response, context: context)
            context.flush()
            if !accepted.leftover.isEmpty { receive(accepted.leftover, context: context) }
        }
    }

    private func apply(_ output: ConnectionOutput, context: ChannelHandlerContext) {
        var replies: [UInt8] = output.outbound
        for event in output.events {
            switch event {
            case .message(let message):
                statistics.messagesIn += 1
                replies += respond(to: message)
            case .failed(let error):
                statistics.failure = error
                statistics.closeCode = error.closeCode
            case .closeReceived(let code, _):
                statistics.closeCode = code
            case .ping, .pong:
                break
            }
        }
        if !replies.isEmpty {
            write(replies, context: context)
            context.flush()
        }
        if output.closeTransport {
            state = .closed
            finish()
            context.close(promise: nil)
        }
    }

    /// The endpoint's answer to one message, as bytes.
    private func respond(to message: Message) -> [UInt8] {
        guard case .open(var connection, let endpoint) = state else { return [] }
        switch endpoint {
        case .echo:
            state = .closed
            defer { state = .open(connection, endpoint) }
            do {
                let bytes = try connection.send(message)
                statistics.messagesOut += 1
                return bytes
            } catch {
                logger.debug("echo not sent", metadata: ["id": "\(statistics.id)", "reason": "\(error.reason)"])
                return []
            }
        }
    }

    private func handshakeTimedOut(context: ChannelHandlerContext) {
        guard case .handshaking = state else { return }
        statistics.failure = .handshakeTimeout
        writeAndClose(HTTPResponseWriter.rejection(.handshakeTimeout, supportedVersions: configuration.handshake.supportedVersionList), context: context)
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        statistics.bytesOut += bytes.count
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    private func writeAndClose(_ bytes: [UInt8], context: ChannelHandlerContext) {
        state = .closed
        statistics.bytesOut += bytes.count
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: bytes))).whenComplete { _ in
            channel.close(promise: nil)
        }
        finish()
    }

    private var finished = false
    private func finish() {
        guard !finished else { return }
        finished = true
        logger.info("connection closed", metadata: [
            "id": "\(statistics.id)", "peer": "\(statistics.peer)", "path": "\(statistics.path)",
            "version": "\(statistics.version?.rawValue ?? "-")", "extensions": "\(statistics.extensions ?? "-")",
            "close": "\(statistics.closeCode.map { String($0.rawValue) } ?? "-")",
            "failure": "\(statistics.failure?.identifier ?? "-")",
            "in": "\(statistics.messagesIn) msgs/\(statistics.bytesIn) B", "out": "\(statistics.messagesOut) msgs/\(statistics.bytesOut) B",
        ])
        observer?(statistics)
    }
}
