import Bridge
import Logging
import NIOCore
import WebSocketCore

/// A bridged path (`--route`): the client's request waits while the upstream leg connects;
/// the client is answered once the backend accepted (with its subprotocol) or refused (its
/// status, 502, 503 or 504); then the relay carries each leg's events to the other and its
/// commands are carried out here.
extension WebSocketChannelHandler {
    func startBridge(_ accepted: AcceptedHandshake, route: BridgeRoute) {
        guard let context else { return }
        endpoint = .bridge
        statistics.version = accepted.version
        // Nothing more is read while the backend decides: what came with the request waits in
        // the session, and a client cannot fill memory meanwhile.
        setClientReading(false)
        let turn = services.bridgeCounters.nextTarget(for: route.path, count: route.targets.count)
        let pair = BridgedPair(route: route, traffic: services.bridgeCounters.traffic(for: route.path), targets: services.upstreamHealth.order(route.targets, from: turn), request: accepted)
        bridge = pair
        connectUpstream(pair, on: context.eventLoop)
    }

    private func connectUpstream(_ pair: BridgedPair, on loop: EventLoop) {
        guard let accepted = pair.request else { return }
        let target = pair.target
        let request = UpstreamRequest(client: accepted.request, version: accepted.version, peer: peerAddress?.ipAddress ?? "unknown",
                                      secure: configuration.tls != nil, target: target, options: pair.route.options,
                                      trustedProxies: configuration.trustedProxies)
        let link = self.link, attempt = pair.attempt
        let (leg, _) = UpstreamLeg.connect(to: target, request: request, options: pair.route.options,
                                           timeout: configuration.upstreamTimeoutSeconds, closeTimeout: configuration.closeTimeoutSeconds,
                                           keepalive: configuration.upstreamKeepalive,
                                           limits: configuration.limits, on: loop, tls: services.upstreamTLS,
                                           recorder: recorder) { report in
            link.handler?.upstreamReported(report, attempt: attempt)
        }
        pair.upstream = leg
    }

    func upstreamReported(_ report: UpstreamLeg.Report, attempt: Int) {
        guard let pair = bridge, pair.attempt == attempt else { return }
        switch report {
        case .failed(let failure):
            upstreamFailed(pair, failure)
        case .opened(let answer, let output):
            upstreamOpened(pair, answer: answer, output: output)
        case .output(let output):
            guard pair.relay != nil else { return }
            for event in output.events { relay(event, from: .upstream) }
        case .waiting(let bytes):
            guard pair.relay != nil else { return }
            carryOut(pair.relay!.waiting(bytes, for: .upstream))
        case .transportClosed:
            relay(.transportEnded(.abnormalClosure), from: .upstream)
        case .idleClosed:
            guard pair.relay != nil else { return }
            logger.info("upstream idle timeout", metadata: ["id": "\(id)", "route": "\(pair.route.path)", "upstream": "\(pair.target)"])
            carryOut(pair.relay!.closedByShell(.upstream, reason: "upstream idle"))
        }
    }

    private func upstreamFailed(_ pair: BridgedPair, _ failure: UpstreamFailure) {
        if case .unreachable = failure, pair.mayRetry, let loop = context?.eventLoop {
            logger.notice("upstream unreachable, trying the next", metadata: ["id": "\(id)", "upstream": "\(pair.target)", "reason": "\(failure.reason)"])
            pair.attempt += 1
            services.bridgeCounters.update(pair.route.path) { $0.retries += 1 }
            connectUpstream(pair, on: loop)
            return
        }
        services.bridgeCounters.update(pair.route.path) { $0.failures[failure.kind, default: 0] += 1 }
        let refusal = GatewayError.upstreamFailed(failure)
        statistics.refusal = refusal
        logger.warning("upstream failed", metadata: [
            "id": "\(id)", "peer": "\(peer)", "route": "\(pair.route.path)", "upstream": "\(pair.target)",
            "status": "\(failure.downstreamStatus)", "reason": "\(failure.reason)",
        ])
        pair.request = nil
        setClientReading(true)   // to see the client's FIN after ours
        if statistics.version?.framing == .rfc6455 {
            writeAndClose(session.reject(status: failure.downstreamStatus, body: failure.reason + "\n").outbound)
        } else {
            // A hixie client sees only that the connection failed: there is no status to give it.
            writeAndClose([])
        }
    }

    private func upstreamOpened(_ pair: BridgedPair, answer: AcceptedClientHandshake, output: SessionOutput) {
        guard let accepted = pair.request else { return }
        pair.request = nil
        // The client's close is answered once the backend has closed too: what the backend was
        // sending meanwhile still reaches the client.
        pair.relay = Relay(clientVersion: accepted.version, upstreamVersion: answer.version, options: pair.route.options,
                           maxQueuedBytes: configuration.bridgeQueueBytes, repliesLate: [.client])
        services.bridgeCounters.update(pair.route.path) { $0.openPairs += 1 }
        // The client gets the backend's subprotocol, whatever this server would have chosen.
        let opened = session.accept(answeringSubprotocol: answer.subprotocol, deferringCloseReply: true)
        statistics.extensions = accepted.deflate?.response.description
        statistics.subprotocol = answer.subprotocol
        logger.info("bridge opened", metadata: [
            "id": "\(id)", "peer": "\(peer)", "route": "\(pair.route.path)", "upstream": "\(pair.target)",
            "client": "\(accepted.version.rawValue)", "backend": "\(answer.version.rawValue)",
            "extensions": "\(statistics.extensions ?? "-")", "subprotocol": "\(answer.subprotocol ?? "-")",
        ])
        startKeepalive(version: accepted.version)
        // The 101 first, then what the client sent after its request, then what the backend
        // sent after its answer.
        handle(opened)
        for event in output.events { relay(event, from: .upstream) }
        if !finished, !(pair.relay?.isPaused(.client) ?? false) { setClientReading(true) }
    }

    /// One event of a leg, through the relay.
    func relay(_ event: ConnectionEvent, from leg: Leg) {
        guard let pair = bridge, pair.relay != nil else { return }
        carryOut(pair.relay!.received(event, on: leg))
    }

    /// The relay's commands, in order.
    func carryOut(_ commands: [RelayCommand]) {
        guard let pair = bridge else { return }
        let path = pair.route.path
        for command in commands {
            switch command {
            case .send(let message, to: .client):
                let bytes = encode(message)
                write(bytes)
                pair.traffic.relayed(to: .client, payloadBytes: message.payloadCount)
            case .send(let message, to: .upstream):
                pair.upstream?.send(message)
                pair.traffic.relayed(to: .upstream, payloadBytes: message.payloadCount)
            case .close(let leg, let code, let reason):
                let label = leg == .upstream && pair.route.options.closeByFIN && pair.target.version.framing == .hixie ? "fin" : code.map { String($0.rawValue) } ?? "none"
                services.bridgeCounters.update(path) { $0.closes[leg, default: [:]][label, default: 0] += 1 }
                logger.debug("bridge closes a leg", metadata: ["id": "\(id)", "leg": "\(leg.rawValue)", "code": "\(label)", "reason": "\(reason)"])
                if leg == .upstream {
                    pair.upstream?.close(code: code, reason: reason)
                } else {
                    closeClientLeg(code: code, reason: reason)
                }
            case .pauseReading(.client):
                setClientReading(false)
            case .resumeReading(.client):
                setClientReading(true)
            case .pauseReading(.upstream):
                pair.upstream?.setReading(false)
            case .resumeReading(.upstream):
                pair.upstream?.setReading(true)
            case .dropped(let from, let bytes, let reason):
                services.bridgeCounters.update(path) { $0.dropped += 1 }
                logger.notice("message not relayed", metadata: ["id": "\(id)", "from": "\(from.rawValue)", "bytes": "\(bytes)", "reason": "\(reason)"])
            }
        }
    }

    /// What waits for the client's socket, for the relay's bound (after each pass and whenever
    /// the socket takes some).
    func bridgeClientWaiting() {
        guard let pair = bridge, pair.relay != nil else { return }
        carryOut(pair.relay!.waiting(queuedBytes, for: .client))
    }

    /// The client's leg is gone (its TCP ended, or the handler finished): the backend is told
    /// (or, while it was still deciding, its connection abandoned).
    func bridgeClientEnded() {
        guard let pair = bridge else { return }
        if pair.relay == nil {
            pair.upstream?.abandon()
            return
        }
        relay(.transportEnded(.abnormalClosure), from: .client)
        services.bridgeCounters.update(pair.route.path) { $0.openPairs -= 1 }
        bridge = nil
    }

    func setClientReading(_ reading: Bool) {
        guard let context else { return }
        bridge?.clientReadingPaused = !reading
        context.channel.setOption(.autoRead, value: reading).whenFailure { _ in }
        if reading { context.read() }
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
