import Bridge
import Capture
import Foundation
import Gateway
import NIOCore
import NIOPosix
import NIOSSL
import WebSocketCore

/// How a `passerelle client` connection ended: its exit status.
enum ClientOutcome: Int32 {
    /// Closed normally: 1000, a close without code, the code this client closed with, the hixie-76
    /// closing handshake, hixie-75's end of TCP.
    case normal = 0
    /// Closed with another code, or failed by this client because the server broke the protocol.
    case closedWithError = 1
    /// The TCP connection ended without a closing handshake (RFC 6455 §7.1.5's 1006).
    case lost = 2
    /// The server refused the upgrade or answered it wrongly.
    case refused = 3
    /// No TCP connection, or no answer within `--timeout`.
    case unreachable = 4
}

/// One `passerelle client` connection: the upstream leg of the bridge (the core's `ClientSession`
/// over SwiftNIO, TLS for wss) driven by standard input and printed on standard output and error.
/// Its state is touched on the connection's event loop only.
final class ClientRun: @unchecked Sendable {
    private let target: RouteTarget
    private let configuration: ClientHandshakeConfiguration
    private let options: ClientCommand
    private let tls: NIOSSLContext?
    private let closeWith: (code: CloseCode, reason: String)
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var leg: UpstreamLeg?
    private var frames: LiveConnectionDecoder?
    private let began = NIODeadline.now()
    private var finished: EventLoopPromise<ClientOutcome>?
    /// What the server closed with, when it did (the hixie-76 handshake: nil code).
    private var serverClose: (code: CloseCode?, reason: String)?
    /// This client failed the connection: the server broke the protocol.
    private var failure: WebSocketError?
    private var transportEnd: CloseCode?
    /// This client started the close (its input ended, and then nothing arrived for `--wait`).
    private var closing = false
    private var inputEnded = false
    /// The close, once input ended: put off by each message that arrives.
    private var pendingClose: Scheduled<Void>?

    init(target: RouteTarget, configuration: ClientHandshakeConfiguration, options: ClientCommand, tls: NIOSSLContext?,
         closeWith: (code: CloseCode, reason: String)) {
        self.target = target
        self.configuration = configuration
        self.options = options
        self.tls = tls
        self.closeWith = closeWith
    }

    /// Connects, runs until the connection is over, and says how it ended.
    func start() -> ClientOutcome {
        let loop = group.next()
        let finished = loop.makePromise(of: ClientOutcome.self)
        loop.execute { self.connect(on: loop, finished: finished) }
        let outcome = (try? finished.futureResult.wait()) ?? .lost
        try? group.syncShutdownGracefully()
        return outcome
    }

    private func connect(on loop: EventLoop, finished: EventLoopPromise<ClientOutcome>) {
        self.finished = finished
        if options.showFrames {
            frames = LiveConnectionDecoder(client: TCPSegment.Endpoint(address: [0, 0, 0, 0], port: 0),
                                           server: TCPSegment.Endpoint(address: [0, 0, 0, 0], port: UInt16(target.port)))
        }
        leg = UpstreamLeg.connect(
            to: target, request: UpstreamRequest(configuration: configuration), timeout: options.timeout,
            limits: ConnectionLimits(maxFrameSize: options.maxMessageSize, maxMessageSize: options.maxMessageSize),
            on: loop, tls: tls, tap: options.showFrames ? { [self] direction, bytes in show(direction, bytes) } : nil
        ) { [self] report in handle(report, on: loop) }
    }

    // MARK: The connection's reports

    private func handle(_ report: UpstreamLeg.Report, on loop: EventLoop) {
        guard finished != nil else { return }   // a failed handshake's channel still reports its end
        switch report {
        case .opened(let accepted, let output):
            var line = "connected: \(target) (\(accepted.version.rawValue)"
            if accepted.deflate != nil, let offer = accepted.response.headers.first("Sec-WebSocket-Extensions") { line += ", \(offer)" }
            if let subprotocol = accepted.subprotocol { line += ", subprotocol \(subprotocol)" }
            Self.status(line + ")")
            events(output)
            if options.ping { leg?.ping() }
            readInput(on: loop)
        case .failed(let failure):
            switch failure {
            case .refused(let status): Self.status("the server refused the upgrade: HTTP \(status)")
            case .invalidAnswer(let error): Self.status("the server's answer is not a valid upgrade: \(error.reason)")
            case .unreachable(let why): Self.status("cannot connect to \(target.host):\(target.port): \(why)")
            case .timedOut: Self.status("no answer within \(options.timeout) s")
            }
            switch failure {
            case .refused, .invalidAnswer: end(.refused)
            case .unreachable, .timedOut: end(.unreachable)
            }
        case .output(let output):
            events(output)
            if inputEnded, !closing, output.events.contains(where: { if case .message = $0 { true } else { false } }) {
                scheduleClose(on: loop)
            }
        case .transportClosed:
            end(outcome())
        case .waiting, .idleClosed:
            break
        }
    }

    private func events(_ output: SessionOutput) {
        for event in output.events {
            switch event {
            case .message(.text(let text)):
                Self.print(text)
            case .message(.binary(let bytes)):
                Self.print(Hex.encode(bytes, separator: ""))
            case .ping(let payload):
                if !options.showFrames { Self.status("ping \(Hex.encode(payload, separator: ""))") }
            case .pong(let payload):
                if !options.showFrames { Self.status("pong \(Hex.encode(payload, separator: ""))") }
            case .closeReceived(let code, let reason):
                serverClose = (code, reason)
            case .failed(let error):
                failure = error
                Self.status("the server broke the protocol: \(error.reason) (closing with \(error.closeCode.map { "\($0.rawValue)" } ?? "no code"))")
            case .transportEnded(let code):
                transportEnd = code
            }
        }
    }

    private func outcome() -> ClientOutcome {
        if failure != nil { return .closedWithError }
        if let close = serverClose {
            Self.status("closed: \(close.code.map { "\($0.rawValue)" } ?? "no code")\(close.reason.isEmpty ? "" : " \(close.reason)")")
            guard let code = close.code else { return .normal }
            return code == .normalClosure || (closing && code == closeWith.code) ? .normal : .closedWithError
        }
        if transportEnd == .normalClosure || (closing && target.version == .hixie75) {   // hixie-75: its close is the end of TCP
            Self.status("closed: end of TCP (hixie-75)")
            return .normal
        }
        Self.status("connection lost without a closing handshake")
        return .lost
    }

    private func end(_ outcome: ClientOutcome) {
        if frames != nil {
            for record in frames!.finish(atNanoseconds: elapsed) { Self.status(TimelineRenderer.render(record)) }
            frames = nil
        }
        finished?.succeed(outcome)
        finished = nil
    }

    // MARK: Input

    /// Standard input, read on a thread of its own: each line goes to the loop as a message; its
    /// end starts the close (after `--wait`).
    private func readInput(on loop: EventLoop) {
        let binary = options.binaryHex
        Thread.detachNewThread { [self] in
            while let line = readLine(strippingNewline: true) {
                let message: Message
                if binary {
                    guard let bytes = Hex.decode(line) else {
                        Self.status("not sent, not hex: \(line)")
                        continue
                    }
                    message = .binary(bytes)
                } else {
                    message = .text(line)
                }
                loop.execute { self.leg?.send(message) }
            }
            loop.execute {   // after the lines' sends, which went to the loop before
                self.inputEnded = true
                self.scheduleClose(on: loop)
            }
        }
    }

    /// Closes once nothing has arrived for `--wait` seconds (at once for 0), so that the answers to
    /// the last lines are read first.
    private func scheduleClose(on loop: EventLoop) {
        pendingClose?.cancel()
        pendingClose = loop.scheduleTask(in: .milliseconds(Int64(options.wait * 1000))) { [self] in
            closing = true
            leg?.close(code: closeWith.code, reason: closeWith.reason)
        }
    }

    // MARK: Output

    private var elapsed: Int64 { (NIODeadline.now() - began).nanoseconds }

    private func show(_ direction: Capture.Direction, _ bytes: [UInt8]) {
        guard frames != nil else { return }
        for record in frames!.feed(bytes, direction: direction, atNanoseconds: elapsed) {
            if case .connection = record { continue }   // the `connected:` line says it
            Self.status(TimelineRenderer.render(record))
        }
    }

    private static func print(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func status(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
