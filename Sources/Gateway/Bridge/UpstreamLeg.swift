import Bridge
import Capture
import NIOCore
import NIOPosix
import NIOSSL
import WebSocketCore

/// A bridged pair's upstream leg: a TCP connection (TLS for `wss`) to the route's backend running
/// the core's `ClientSession` of the route's version. It reports once whether the backend
/// accepted (`opened`) or how it failed (`UpstreamFailure`), then every event of the open leg,
/// and takes messages, closes and pauses from the relay. Used on its channel's event loop only.
public final class UpstreamLeg: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// What the leg reports: once `opened` or `failed`, then the open leg's outputs and its end,
    /// and how many written bytes its socket has not taken whenever that falls.
    public enum Report {
        case opened(AcceptedClientHandshake, SessionOutput)
        case failed(UpstreamFailure)
        case output(SessionOutput)
        case waiting(Int)
        /// The backend was silent past the keepalive policy's delay: this leg's closing
        /// handshake has started (1001, or 0xFF 0x00), the other leg should follow.
        case idleClosed
        /// The TCP connection is gone (after `output`'s events, if any): also after this leg's
        /// own close, which for hixie-75 (and `close-by-fin`) is the end of TCP and reports no event.
        case transportClosed
    }

    private var session: ClientSession
    private let options: RouteOptions
    private let report: (Report) -> Void
    private var context: ChannelHandlerContext?
    private var decided = false
    /// The client left before the backend answered: close as soon as connected, report nothing.
    private var abandoned = false
    /// `frame-per-write`: bytes handed to the channel whose write has not completed.
    private var unsent = 0
    /// An empty write is queued behind what the socket has not taken: its completion reports again.
    private var watchingDrain = false
    /// After this leg's close is written, how long the backend has to end TCP.
    private let closeTimeout: Double
    /// Idle pings (RFC 6455) and the idle timeout, counted from the backend's last bytes.
    private let keepalive: KeepalivePolicy
    private var lastHeard = NIODeadline.now()
    /// `serve --record`: this leg's bytes as a second stream of the client connection's file.
    private var recorder: ConnectionRecorder?
    /// Sees every byte written (`.c2s`) and read (`.s2c`), in order (`passerelle client --show-frames`).
    private var tap: ((Capture.Direction, [UInt8]) -> Void)?
    /// The client's leg ended first: this leg closes the recording when it ends.
    private var ownsRecording = false

    /// The client's connection is done with the recording: this leg keeps it until its own end
    /// (true), or has none or has already ended (false).
    func takeRecording() -> Bool {
        guard recorder != nil, context != nil else { return false }
        ownsRecording = true
        return true
    }
    /// `frame-per-write`: frames waiting for the previous one's write to complete.
    private var pending: [[UInt8]] = []
    private var writing = false

    init(session: ClientSession, options: RouteOptions, closeTimeout: Double, keepalive: KeepalivePolicy,
         report: @escaping (Report) -> Void) {
        self.session = session
        self.options = options
        self.closeTimeout = closeTimeout
        self.keepalive = keepalive
        self.report = report
    }

    /// Connects on `loop` and starts the handshake; `report` is called on `loop`. The handshake
    /// must complete within `timeout` seconds (`UpstreamFailure.timedOut` otherwise); the
    /// future fails when no TCP connection was made.
    @discardableResult
    static func connect(to target: RouteTarget, request: UpstreamRequest, options: RouteOptions, timeout: Double,
                               closeTimeout: Double = 5, keepalive: KeepalivePolicy = KeepalivePolicy(),
                               limits: ConnectionLimits = ConnectionLimits(),
                               on loop: EventLoop, tls: NIOSSLContext? = nil, recorder: ConnectionRecorder? = nil,
                               tap: ((Capture.Direction, [UInt8]) -> Void)? = nil,
                               report: @escaping (Report) -> Void) -> (UpstreamLeg, EventLoopFuture<Void>) {
        let leg = UpstreamLeg(session: ClientSession(configuration: request.configuration, limits: limits, random: EntropyPool()), options: options,
                              closeTimeout: closeTimeout, keepalive: keepalive, report: report)
        leg.recorder = recorder
        leg.tap = tap
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // A hixie leg has no ping: TCP keepalive finds a backend that vanished without a FIN.
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if target.secure {
                        let context = try tls ?? NIOSSLContext(configuration: .makeClientConfiguration())
                        // RFC 6066 §3: no SNI for an IP literal.
                        let isAddress = (try? SocketAddress(ipAddress: target.host, port: 0)) != nil
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context,
                                                                                               serverHostname: isAddress ? nil : target.host))
                    }
                    try channel.pipeline.syncOperations.addHandler(leg)
                }
            }
        loop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) { leg.handshakeTimedOut() }
        let connected = bootstrap.connect(host: target.host, port: target.port).map { _ in () }.flatMapErrorThrowing { error in
            leg.decide(.failed(.unreachable("\(error)")))
            throw error
        }
        return (leg, connected)
    }

    /// A connection of one's own (`passerelle client`): no route, no recording; `tap` sees every
    /// byte written and read.
    public static func connect(to target: RouteTarget, request: UpstreamRequest, timeout: Double, limits: ConnectionLimits,
                               on loop: EventLoop, tls: NIOSSLContext?, tap: ((Capture.Direction, [UInt8]) -> Void)?,
                               report: @escaping (Report) -> Void) -> UpstreamLeg {
        connect(to: target, request: request, options: RouteOptions(), timeout: timeout, limits: limits, on: loop, tls: tls,
                tap: tap, report: report).0
    }

    /// The client left before the backend answered: the connection is dropped and nothing more
    /// is reported.
    public func abandon() {
        abandoned = true
        decided = true
        context?.close(promise: nil)
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    public func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    public func channelActive(context: ChannelHandlerContext) {
        guard !abandoned else { context.close(promise: nil); return }
        recorder?.upstreamConnected(local: context.channel.localAddress, remote: context.channel.remoteAddress)
        observe(.c2s, session.request)
        // The request head and hixie-76's key3 leave in one write (`one-write-handshake`, and
        // always: servers of the phpwebsocket family lose a key3 that arrives alone).
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: session.request)), promise: nil)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        lastHeard = .now()
        if recorder != nil || tap != nil { observe(.s2c, Array(buffer.readableBytesView)) }
        let output = buffer.withUnsafeReadableBytes { session.receive($0) }
        handle(output)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if ownsRecording { recorder?.close() }
        recorder = nil
        let output = session.receiveEOF()
        if !decided, case .failed(let error, _)? = output.handshake {
            decide(.failed(.invalidAnswer(error)))
        } else if decided, !abandoned {
            report(.output(output))
            report(.transportClosed)
        }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !decided { decide(.failed(.unreachable("\(error)"))) }
        context.close(promise: nil)
    }

    // MARK: What the relay asks

    /// One message, framed as the backend's leg agreed.
    public func send(_ message: Message) {
        guard let bytes = try? session.send(message) else { return }
        write(bytes)
    }

    /// An RFC 6455 ping towards the backend (keepalive); nothing for a hixie leg.
    public func ping() {
        guard let bytes = try? session.ping() else { return }
        write(bytes)
    }

    /// The closing handshake towards the backend (`close-by-fin`: a FIN instead of `0xFF 0x00`).
    public func close(code: CloseCode?, reason: String) {
        if options.closeByFIN, session.version?.framing == .hixie {
            context?.close(mode: .output, promise: nil)
            return
        }
        guard let output = try? session.close(code: code, reason: reason) else {
            context?.close(promise: nil)
            return
        }
        write(output.outbound)
        if output.closeTransport { context?.close(promise: nil); return }
        // RFC 6455 §7.1.1: the server ends TCP after the closing handshake; one that does not
        // within the close timeout is dropped.
        context?.eventLoop.scheduleTask(in: .milliseconds(Int64(closeTimeout * 1000))) { [weak self] in
            self?.context?.close(promise: nil)
        }
    }

    /// Stops or resumes reading from the backend (the client's leg is full, or has room again).
    public func setReading(_ reading: Bool) {
        context?.channel.setOption(.autoRead, value: reading).whenFailure { _ in }
        if reading { context?.read() }
    }

    // MARK: Internals

    private func observe(_ direction: Capture.Direction, _ bytes: [UInt8]) {
        recorder?.recordUpstream(direction, bytes)
        tap?(direction, bytes)
    }

    private func handle(_ output: SessionOutput) {
        switch output.handshake {
        case .opened(let accepted)?:
            if !output.outbound.isEmpty { write(output.outbound) }
            decided = true
            report(.opened(accepted, output))
            startKeepalive(framing: accepted.version.framing)
        case .failed(.unexpectedStatus(let status), _)?:
            decide(.failed(.refused(status: status)))
            context?.close(promise: nil)
        case .failed(let error, _)?:
            decide(.failed(.invalidAnswer(error)))
            context?.close(promise: nil)
        case .request?, .plainHTTP?:
            break
        case nil:
            guard decided else { return }
            if !output.outbound.isEmpty { write(output.outbound) }
            report(.output(output))
            if output.closeTransport { context?.close(promise: nil) }
        }
    }

    /// RFC 6455 §5.5.2: a backend silent past `pingAfter` is pinged, past `closeAfter` closed;
    /// a hixie backend (no ping) is closed past `hixieCloseAfter`.
    private func startKeepalive(framing: ProtocolVersion.Framing) {
        guard let interval = keepalive.tickInterval(for: framing), let loop = context?.eventLoop else { return }
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(interval * 1000)), delay: .milliseconds(Int64(interval * 1000))) { [weak self] task in
            guard let self, self.context != nil, self.session.state == .open else { task.cancel(); return }
            let silent = Double((NIODeadline.now() - self.lastHeard).nanoseconds) / 1e9
            switch self.session.keepalive(silentFor: silent, policy: self.keepalive) {
            case .none: break
            case .ping(let bytes): self.write(bytes)
            case .close(let output):
                self.write(output.outbound)
                if output.closeTransport { self.context?.close(promise: nil) }
                self.report(.idleClosed)
                task.cancel()
            }
        }
    }

    private func handshakeTimedOut() {
        guard !decided else { return }
        decide(.failed(.timedOut))
        context?.close(promise: nil)
    }

    private func decide(_ outcome: Report) {
        guard !decided else { return }
        decided = true
        report(outcome)
    }

    /// `frame-per-write`: each write waits for the one before it to complete, so that a server
    /// that reads one frame per read sees each alone.
    private func write(_ bytes: [UInt8]) {
        guard context != nil, !bytes.isEmpty else { return }
        guard options.framePerWrite else {
            guard let context else { return }
            observe(.c2s, bytes)
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            reportWaiting()
            return
        }
        pending.append(bytes)
        writeNext()
    }

    private func writeNext() {
        guard !writing, let context, !pending.isEmpty else { return }
        writing = true
        let bytes = pending.removeFirst()
        writeCounted(bytes) { [self] in
            // A short pause after the write: the server reads this frame before the next arrives.
            context.eventLoop.scheduleTask(in: .milliseconds(10)) {
                self.writing = false
                self.writeNext()
            }
        }
    }

    /// What the socket has not taken, for the relay's bound (`Report.waiting`). Below the
    /// channel's high water mark (NIO's 64 KiB) a leg counts as drained, which spares a lookup per
    /// message: the bound is then the relay's queue plus that mark. Above it, the exact count, and
    /// an empty write queued behind what is left reports again once the socket took it all
    /// (writes complete in order), so a paused client leg resumes whatever the water marks.
    private func reportWaiting() {
        guard decided, !abandoned, let context else { return }
        guard !context.channel.isWritable || watchingDrain else {
            report(.waiting(0))
            return
        }
        let buffered = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        report(.waiting(buffered))
        guard buffered > 0, !watchingDrain else { return }
        watchingDrain = true
        let drained = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(capacity: 0)), promise: drained)
        drained.futureResult.whenComplete { [self] _ in
            watchingDrain = false
            reportWaiting()
        }
    }

    /// `frame-per-write`: writes and flushes, counting the bytes until the socket took them.
    private func writeCounted(_ bytes: [UInt8], then next: @escaping () -> Void) {
        guard let context else { return }
        observe(.c2s, bytes)
        unsent += bytes.count
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: written)
        written.futureResult.whenComplete { [self] _ in
            unsent -= bytes.count
            if decided, !abandoned { report(.waiting(unsent + pending.reduce(0) { $0 + $1.count })) }
            next()
        }
    }
}
