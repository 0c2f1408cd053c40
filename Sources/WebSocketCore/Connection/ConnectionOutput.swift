/// Everything one call into a connection produced: events for the application, bytes for the
/// peer, and whether the transport should now be closed.
///
/// The core's own answers (a pong, the reply to a close, the close frame of a failure) are in
/// `outbound`; `forEachInOrder` places them among the events, because a shell that answers events
/// itself (an echo) must send its answers and the core's in the order of what caused them:
/// RFC 6455 §5.4 lets a ping sit between the fragments of a message so that its pong is not
/// delayed by the message, and §5.5.2 asks for the pong "as soon as is practical".
public struct ConnectionOutput: Hashable, Sendable {
    public var events = ConnectionEvents()
    public var outbound: [UInt8] = []
    public var closeTransport = false
    /// Where the answers stand among the events, recorded only when an event follows an answer
    /// in the same call (a ping then a message): empty, and never allocated, in the usual read.
    public private(set) var answerMarks: [AnswerMark] = []

    /// `outbound[previous mark's end ..< end]` answers events before `beforeEvent`: it is sent
    /// after the shell's own answers to those events and before its answer to `events[beforeEvent]`.
    public struct AnswerMark: Hashable, Sendable {
        public var beforeEvent: Int
        public var end: Int
    }

    public init(events: ConnectionEvents = [], outbound: [UInt8] = [], closeTransport: Bool = false) {
        self.events = events
        self.outbound = outbound
        self.closeTransport = closeTransport
    }

    /// Appends an event after the answers written so far.
    mutating func append(_ event: ConnectionEvent) {
        if outbound.count > (answerMarks.last?.end ?? 0) {
            answerMarks.append(AnswerMark(beforeEvent: events.count, end: outbound.count))
        }
        events.append(event)
    }

    /// Appends the core's answer to the last event.
    mutating func appendAnswer(_ bytes: [UInt8]) {
        outbound += bytes
    }

    /// Appends what a later call produced, in its order.
    mutating func append(contentsOf later: ConnectionOutput) {
        later.forEachInOrder(event: { append($0) }, answer: { appendAnswer(Array($0)) })
        closeTransport = closeTransport || later.closeTransport
    }

    /// A lending read's answers go to the shell as soon as they are made (`LentDelivery.answer`).
    mutating func handAnswers(to deliver: (LentDelivery) -> Void) {
        guard !outbound.isEmpty else { return }
        outbound.withUnsafeBytes { deliver(.answer($0)) }
        outbound.removeAll(keepingCapacity: true)
    }

    /// The events and the core's answers, in the order the peer's bytes caused them: each event
    /// comes after the answers to the events before it, and the answers to the last event follow
    /// it. A shell that answers `event` itself (an echo) does so from `event`, so that its answers
    /// and the core's leave in one causal order.
    public func forEachInOrder(event: (ConnectionEvent) -> Void, answer: (ArraySlice<UInt8>) -> Void) {
        var sent = 0
        var marks = answerMarks.makeIterator()
        var mark = marks.next()
        for (index, item) in events.enumerated() {
            while let next = mark, next.beforeEvent == index {
                if next.end > sent { answer(outbound[sent..<next.end]) }
                sent = next.end
                mark = marks.next()
            }
            event(item)
        }
        if outbound.count > sent { answer(outbound[sent...]) }
    }
}

/// What a lending read (`receive(_:scratch:deliver:)`) hands over while it reads, in the order
/// the peer's bytes caused it. Valid only during the call.
public enum LentDelivery {
    /// A message, lent where it lies.
    case message(MessageView)
    /// Bytes the core sends in answer (a pong, a close frame): they go out after whatever the
    /// shell sent for the messages before them, and before its answers to the messages after.
    case answer(UnsafeRawBufferPointer)
}
