import Room
import Synchronization

/// A line of this instance's members waiting to be written to the table.
struct OutgoingLine: Sendable {
    /// Unique per instance run: with the instance's name it identifies the row, so a batch whose
    /// outcome is unknown (connection lost before the answer) is never written twice.
    var localID: Int64
    var line: ChatLine
    var via: String
    var sentAtMicros: Int64
}

/// Lines on their way to PostgreSQL, in the order the room received them. Bounded: `append`
/// refuses past the limit (the hub then closes the speaker with 1013), so a database outage never
/// grows memory without end. Lines leave only once their batch is committed.
final class ClusterOutbox: Sendable {
    private struct State {
        var lines: [OutgoingLine] = []
        var nextLocalID: Int64 = 1
        var waiter: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    var count: Int { state.withLock { $0.lines.count } }

    /// Queues a line; false when the outbox is full.
    func append(line: ChatLine, via: String, sentAtMicros: Int64) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard state.lines.count < limit, !state.stopped else { return (false, nil) }
            state.lines.append(OutgoingLine(localID: state.nextLocalID, line: line, via: via, sentAtMicros: sentAtMicros))
            state.nextLocalID += 1
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// The oldest lines, at most `maximum`, left in place until `removeFirst`.
    func peek(_ maximum: Int) -> [OutgoingLine] {
        state.withLock { Array($0.lines.prefix(maximum)) }
    }

    func removeFirst(_ count: Int) {
        state.withLock { $0.lines.removeFirst(min(count, $0.lines.count)) }
    }

    /// Returns once there is a line (or the outbox is stopped).
    func waitForLines() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if !state.lines.isEmpty || state.stopped { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func stop() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.stopped = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
