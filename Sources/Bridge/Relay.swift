import WebSocketCore

/// Joins the two legs of a bridged pair, sans I/O: each leg's events in, commands for the shell
/// out — messages relayed in order both ways, text staying text, binary towards a hixie leg by
/// the route's policy, each ending mapped to the other leg (`LegEnding`), and a bounded queue
/// each way (reading from a leg pauses while the other holds more than `maxQueuedBytes`).
///
/// Pings are not relayed: each RFC 6455 leg's session answers its own (RFC 6455 §5.5.2), and a
/// hixie leg has none.
///
/// A leg whose session holds its answer to the peer's close (`repliesLate`) keeps receiving the
/// other leg's messages until the other leg has closed too, and is answered then: a message the
/// backend was sending when the client closed still reaches the client, as it would directly.
public struct Relay {
    public let clientVersion: ProtocolVersion
    public let upstreamVersion: ProtocolVersion
    public let options: RouteOptions
    /// Bytes relayed to a leg and not yet taken by its socket, past which the other leg's
    /// reading pauses; it resumes once half of that is left (`waiting(_:for:)`).
    public let maxQueuedBytes: Int

    private var queued = PerLeg(0)
    private var paused = PerLeg(false)
    /// Legs whose closing handshake started (either side's): nothing more is relayed to them.
    private var closingLegs = PerLeg(false)
    /// Legs whose session answers the peer's close only when told (`close`), not by itself.
    public let repliesLate: Set<Leg>
    /// Such legs whose peer closed, with what it closed with: answered when the other leg ends.
    private var awaitingReply = PerLeg<(code: CloseCode?, reason: String)?>(nil)

    public init(clientVersion: ProtocolVersion, upstreamVersion: ProtocolVersion, options: RouteOptions = RouteOptions(),
                maxQueuedBytes: Int = 1 << 20, repliesLate: Set<Leg> = []) {
        self.repliesLate = repliesLate
        self.clientVersion = clientVersion
        self.upstreamVersion = upstreamVersion
        self.options = options
        self.maxQueuedBytes = maxQueuedBytes
    }

    public func version(of leg: Leg) -> ProtocolVersion { leg == .client ? clientVersion : upstreamVersion }

    /// Bytes relayed to `leg` that its socket has not taken (the shell's last count plus what was relayed since).
    public func queuedBytes(for leg: Leg) -> Int { queued[leg] }

    public func isClosing(_ leg: Leg) -> Bool { closingLegs.contains(leg) }

    /// Whether reading from `leg` is paused (what it sends waits for the other leg's socket).
    public func isPaused(_ leg: Leg) -> Bool { paused.contains(leg) }

    /// An event of `leg`'s session.
    public mutating func received(_ event: ConnectionEvent, on leg: Leg) -> [RelayCommand] {
        switch event {
        case .message(let message):
            return relay(message, from: leg)
        case .ping, .pong:
            return []
        case .closeReceived(let code, let reason):
            if repliesLate.contains(leg), !closingLegs.contains(leg) {
                return peerClosed(leg, code: code, reason: reason)
            }
            return ended(leg, .closed(code: code, reason: reason, framing: version(of: leg).framing))
        case .failed(let error):
            return ended(leg, .failed(error))
        case .transportEnded:
            if closingLegs.contains(leg) {
                // After its closing handshake, the expected end; a leg waiting for it gets the
                // answer its own peer asked for.
                return answerAwaiting(leg.other)
            }
            guard awaitingReply[leg] == nil else { return [] }   // its peer closed first: nothing to pass on
            return ended(leg, version(of: leg) == .hixie75 ? .hixie75Ended : .lost)
        }
    }

    /// The shell's count of what waits for `leg`'s socket (frame bytes written and not taken),
    /// after a write and whenever its socket takes some: it replaces the relay's own estimate
    /// (payload bytes added as messages are relayed). The other leg pauses above
    /// `maxQueuedBytes` and resumes at half of it.
    public mutating func waiting(_ bytes: Int, for leg: Leg) -> [RelayCommand] {
        queued[leg] = max(0, bytes)
        if bytes > maxQueuedBytes, !paused.contains(leg.other), !closingLegs.contains(leg.other) {
            paused.insert(leg.other)
            return [.pauseReading(leg.other)]
        }
        guard paused.contains(leg.other), bytes <= maxQueuedBytes / 2 else { return [] }
        paused.remove(leg.other)
        return [.resumeReading(leg.other)]
    }

    /// The shell closes a leg on its own initiative (shutdown, idle timeout): the other follows.
    public mutating func closeBoth(startingWith leg: Leg, code: CloseCode, reason: String) -> [RelayCommand] {
        var commands: [RelayCommand] = []
        for side in [leg, leg.other] where !closingLegs.contains(side) {
            closingLegs.insert(side)
            awaitingReply[side] = nil
            commands.append(.close(side, code: code, reason: reason))
        }
        return commands
    }

    /// The shell closed `leg` itself (an idle timeout): the other leg goes away too (1001).
    public mutating func closedByShell(_ leg: Leg, reason: String) -> [RelayCommand] {
        closingLegs.insert(leg)
        guard !closingLegs.contains(leg.other) else { return [] }
        closingLegs.insert(leg.other)
        return [.close(leg.other, code: .goingAway, reason: reason)]
    }

    // MARK: Messages

    private mutating func relay(_ message: Message, from leg: Leg) -> [RelayCommand] {
        let destination = leg.other
        guard !closingLegs.contains(destination) else {
            return [.dropped(from: leg, bytes: message.byteCount, reason: "the \(destination.rawValue) leg is closing")]
        }
        var outgoing = message
        if case .binary(let bytes) = message, version(of: destination).framing == .hixie {
            // hixie frames carry text only (hixie-76 §4.2): the route decides.
            switch options.binaryToHixie {
            case .drop:
                return [.dropped(from: leg, bytes: bytes.count, reason: "binary message for a hixie \(destination.rawValue) (binary=drop)")]
            case .utf8 where UTF8Validator.isValid(bytes[...]):
                outgoing = .text(String(decoding: bytes, as: UTF8.self))
            case .utf8, .close:
                var commands: [RelayCommand] = [.dropped(from: leg, bytes: bytes.count, reason: "binary message for a hixie \(destination.rawValue)")]
                for side in [leg, destination] where !closingLegs.contains(side) {
                    closingLegs.insert(side)
                    commands.append(.close(side, code: .unsupportedData, reason: "binary messages cannot reach a hixie peer"))
                }
                return commands
            }
        }
        var commands: [RelayCommand] = [.send(outgoing, to: destination)]
        queued[destination] += outgoing.byteCount
        if queued[destination] > maxQueuedBytes, !paused.contains(leg) {
            paused.insert(leg)
            commands.append(.pauseReading(leg))
        }
        return commands
    }

    // MARK: Endings

    private mutating func ended(_ leg: Leg, _ ending: LegEnding) -> [RelayCommand] {
        closingLegs.insert(leg)
        awaitingReply[leg] = nil
        let other = leg.other
        guard !closingLegs.contains(other) else { return [] }
        closingLegs.insert(other)
        awaitingReply[other] = nil
        let (code, reason) = ending.closeForOtherLeg(endedLeg: leg)
        return [.close(other, code: code, reason: reason)]
    }

    /// `leg`'s peer closed and its answer waits: the other leg is closed with what it sent, and
    /// keeps sending to `leg` until its own close comes back.
    private mutating func peerClosed(_ leg: Leg, code: CloseCode?, reason: String) -> [RelayCommand] {
        let other = leg.other
        guard !closingLegs.contains(other) else {
            // The other leg is closing already: answer now, as its session would have.
            closingLegs.insert(leg)
            return [.close(leg, code: code.flatMap { $0.isValidOnWire ? $0 : nil }, reason: "")]
        }
        awaitingReply[leg] = (code, reason)
        closingLegs.insert(other)
        let (otherCode, otherReason) = LegEnding.closed(code: code, reason: reason, framing: version(of: leg).framing)
            .closeForOtherLeg(endedLeg: leg)
        return [.close(other, code: otherCode, reason: otherReason)]
    }

    /// The answer `leg` waits for, when the other leg ended after its own closing handshake
    /// without a close to pass on (its TCP ended): the peer's own code, echoed (RFC 6455 §5.5.1).
    private mutating func answerAwaiting(_ leg: Leg) -> [RelayCommand] {
        guard let asked = awaitingReply[leg] else { return [] }
        awaitingReply[leg] = nil
        closingLegs.insert(leg)
        return [.close(leg, code: asked.code, reason: "")]
    }
}

extension Message {
    /// Payload bytes (UTF-8 for text).
    var byteCount: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .binary(let bytes): return bytes.count
        }
    }
}
