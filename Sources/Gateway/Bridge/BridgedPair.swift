import Bridge
import Logging
import NIOCore
import WebSocketCore

/// A bridged path (`--route`) from the client's request to the end of its connection: the
/// request waits while the upstream leg connects (each of the route's upstreams tried once, from
/// the route's turn, healthy ones first); the client is answered once a backend accepted (with
/// its subprotocol) or none did (its status, 502, 503 or 504); then the relay carries each leg's
/// events to the other, and the pair carries out its commands on both legs and counts them for
/// `/metrics`. Touched on the client's event loop only (the upstream leg runs there too).
final class BridgedPair {
    let route: BridgeRoute
    private let services: GatewayServices
    private let traffic: RouteTraffic
    /// The client's connection (for its log lines), and what the upstream request tells the
    /// backend of it (`X-Forwarded-For`, the scheme).
    private let connectionID: Int
    private let clientAddress: String
    private let recorder: ConnectionRecorder?
    /// The client's side, until its connection ends: nothing reaches it afterwards.
    private var client: BridgeClientLeg?
    /// The client's request, kept until a backend answers (a retry sends it to the next upstream).
    private var request: AcceptedHandshake?
    /// The upstreams in the order this pair tries them; `attempt` counts the connect failures so far.
    private let targets: [RouteTarget]
    private(set) var attempt = 0
    private var upstream: UpstreamLeg?
    /// Set once the backend accepted: the pair is open.
    private var relay: Relay?

    var target: RouteTarget { targets[attempt] }
    var isOpen: Bool { relay != nil }
    private var logger: Logger { services.logger }
    private var configuration: GatewayConfiguration { services.configuration }

    init(route: BridgeRoute, request: AcceptedHandshake, client: BridgeClientLeg, services: GatewayServices,
         connectionID: Int, clientAddress: String, recorder: ConnectionRecorder?) {
        self.route = route
        self.request = request
        self.client = client
        self.services = services
        self.connectionID = connectionID
        self.clientAddress = clientAddress
        self.recorder = recorder
        traffic = services.bridgeCounters.traffic(for: route.path)
        let turn = services.bridgeCounters.nextTarget(for: route.path, count: route.targets.count)
        targets = services.upstreamHealth.order(route.targets, from: turn)
    }

    // MARK: Deciding

    /// Connects to the first upstream; the client hears of the outcome through its leg.
    func start(on loop: EventLoop) {
        guard let accepted = request else { return }
        let upstreamRequest = UpstreamRequest(client: accepted.request, version: accepted.version, peer: clientAddress,
                                              secure: configuration.tls != nil, target: target, options: route.options,
                                              trustedProxies: configuration.trustedProxies)
        let attempt = self.attempt
        // The leg's reports reach this pair until the client has ended (`clientEnded` lets go of
        // the leg, so the two do not keep each other alive).
        (upstream, _) = UpstreamLeg.connect(to: target, request: upstreamRequest, options: route.options,
                                            timeout: configuration.upstreamTimeoutSeconds, closeTimeout: configuration.closeTimeoutSeconds,
                                            keepalive: configuration.upstreamKeepalive, limits: configuration.limits,
                                            on: loop, tls: services.upstreamTLS, recorder: recorder) { [self] report in
            upstreamReported(report, attempt: attempt, loop: loop)
        }
    }

    private func upstreamReported(_ report: UpstreamLeg.Report, attempt: Int, loop: EventLoop) {
        guard client != nil, attempt == self.attempt else { return }
        switch report {
        case .failed(let failure):
            upstreamFailed(failure, loop: loop)
        case .opened(let answer, let output):
            upstreamOpened(answer: answer, output: output)
        case .output(let output):
            for event in output.events { received(event, from: .upstream) }
        case .waiting(let bytes):
            guard relay != nil else { return }
            carryOut(relay!.waiting(bytes, for: .upstream))
        case .transportClosed:
            received(.transportEnded(.abnormalClosure), from: .upstream)
        case .idleClosed:
            guard relay != nil else { return }
            logger.info("upstream idle timeout", metadata: ["id": "\(connectionID)", "route": "\(route.path)", "upstream": "\(target)"])
            carryOut(relay!.closedByShell(.upstream, reason: "upstream idle"))
        }
    }

    private func upstreamFailed(_ failure: UpstreamFailure, loop: EventLoop) {
        // Each upstream once, and only while nothing was relayed (never after a 101).
        if case .unreachable = failure, attempt + 1 < targets.count {
            logger.notice("upstream unreachable, trying the next", metadata: ["id": "\(connectionID)", "upstream": "\(target)", "reason": "\(failure.reason)"])
            attempt += 1
            services.bridgeCounters.update(route.path) { $0.retries += 1 }
            start(on: loop)
            return
        }
        services.bridgeCounters.update(route.path) { $0.failures[failure.kind, default: 0] += 1 }
        request = nil
        client?.backendFailed(failure, target: target)
    }

    private func upstreamOpened(answer: AcceptedClientHandshake, output: SessionOutput) {
        guard let accepted = request else { return }
        request = nil
        // The client's close is answered once the backend has closed too: what the backend was
        // sending meanwhile still reaches the client.
        relay = Relay(clientVersion: accepted.version, upstreamVersion: answer.version, options: route.options,
                      maxQueuedBytes: configuration.bridgeQueueBytes, repliesLate: [.client])
        services.bridgeCounters.update(route.path) { $0.openPairs += 1 }
        // The 101 first, then what the client sent after its request, then what the backend
        // sent after its answer.
        client?.backendAccepted(answer, target: target)
        for event in output.events { received(event, from: .upstream) }
        if let relay, !relay.isPaused(.client) { client?.setReading(true) }
    }

    // MARK: Open pair

    /// One event of a leg, through the relay (nothing before the backend accepted).
    func received(_ event: ConnectionEvent, from leg: Leg) {
        guard relay != nil else { return }
        carryOut(relay!.received(event, on: leg))
    }

    /// What waits for the client's socket, for the relay's bound (after each pass and whenever
    /// the socket takes some).
    func clientWaiting(_ bytes: Int) {
        guard relay != nil else { return }
        carryOut(relay!.waiting(bytes, for: .client))
    }

    /// The closing handshake on the gateway's initiative (shutdown): 1001 to an RFC leg, 0xFF 0x00
    /// to a hixie-76 one, the client first. False while no backend has accepted yet.
    func closeBoth(code: CloseCode, reason: String) -> Bool {
        guard relay != nil else { return false }
        carryOut(relay!.closeBoth(startingWith: .client, code: code, reason: reason))
        return true
    }

    /// The client's leg timed out idle and started its own closing handshake: the backend follows.
    func clientIdleClosed() {
        guard relay != nil else { return }
        carryOut(relay!.closedByShell(.client, reason: "client idle"))
    }

    /// The client's leg is gone (its TCP ended, or its connection finished): the backend is told
    /// (or, while it was still deciding, its connection abandoned), and the pair ends. True when
    /// the upstream leg, still closing, keeps the connection's recording until its own end.
    @discardableResult
    func clientEnded() -> Bool {
        guard client != nil else { return false }
        let recordingOutlives = upstream?.takeRecording() ?? false
        if relay == nil {
            upstream?.abandon()
        } else {
            received(.transportEnded(.abnormalClosure), from: .client)
            services.bridgeCounters.update(route.path) { $0.openPairs -= 1 }
        }
        client = nil
        upstream = nil
        return recordingOutlives
    }

    /// The relay's commands, in order.
    private func carryOut(_ commands: [RelayCommand]) {
        for command in commands {
            switch command {
            case .send(let message, to: .client):
                client?.send(message)
                traffic.relayed(to: .client, payloadBytes: message.payloadCount)
            case .send(let message, to: .upstream):
                upstream?.send(message)
                traffic.relayed(to: .upstream, payloadBytes: message.payloadCount)
            case .close(let leg, let code, let reason):
                let label = leg == .upstream && route.options.closeByFIN && target.version.framing == .hixie ? "fin" : code.map { String($0.rawValue) } ?? "none"
                services.bridgeCounters.update(route.path) { $0.closes[leg, default: [:]][label, default: 0] += 1 }
                logger.debug("bridge closes a leg", metadata: ["id": "\(connectionID)", "leg": "\(leg.rawValue)", "code": "\(label)", "reason": "\(reason)"])
                if leg == .upstream { upstream?.close(code: code, reason: reason) } else { client?.close(code: code, reason: reason) }
            case .pauseReading(let leg), .resumeReading(let leg):
                let reading = if case .resumeReading = command { true } else { false }
                if leg == .upstream { upstream?.setReading(reading) } else { client?.setReading(reading) }
            case .dropped(let from, let bytes, let reason):
                services.bridgeCounters.update(route.path) { $0.dropped += 1 }
                logger.notice("message not relayed", metadata: ["id": "\(connectionID)", "from": "\(from.rawValue)", "bytes": "\(bytes)", "reason": "\(reason)"])
            }
        }
    }
}

extension Message {
    /// Payload bytes (UTF-8 for text), as the bridge's metrics count them.
    var payloadCount: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .binary(let bytes): return bytes.count
        }
    }
}
