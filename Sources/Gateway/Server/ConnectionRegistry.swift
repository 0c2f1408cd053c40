import NIOCore
import Synchronization
import WebSocketCore

/// The open connections, so the server can refuse past its limit and close everyone on shutdown.
final class ConnectionRegistry: Sendable {
    struct Entry: Sendable {
        let eventLoop: EventLoop
        /// The peer's IP address (no port), for the per-address limit; nil when unknown.
        var address: String? = nil
        /// The connection's transport, through which its handler starts its closing handshake on its
        /// event loop. Not a closure: a closure's context would be one more allocation per
        /// connection, held while idle.
        let transport: ConnectionTransport
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var perAddress: [String: Int] = [:]
        /// Most connections open at once since the last `takePeak()`.
        var peak = 0
    }

    private let state = Mutex(State())
    private let nextID = Atomic<Int>(0)
    let limit: Int
    let limitPerAddress: Int

    init(limit: Int, limitPerAddress: Int = .max) {
        self.limit = limit
        self.limitPerAddress = limitPerAddress
    }

    func makeID() -> Int { nextID.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Registers a connection unless the server, or its source address, is full: nil when
    /// admitted, or the refusal (503 with `Retry-After`).
    func admit(_ id: Int, _ entry: Entry) -> GatewayError? {
        state.withLock { state in
            guard state.entries.count < limit else { return .serverFull(limit: limit) }
            if let address = entry.address {
                guard state.perAddress[address, default: 0] < limitPerAddress else { return .tooManyFromAddress(limit: limitPerAddress) }
                state.perAddress[address, default: 0] += 1
            }
            state.entries[id] = entry
            state.peak = max(state.peak, state.entries.count)
            return nil
        }
    }

    func remove(_ id: Int) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: id), let address = entry.address else { return }
            let left = state.perAddress[address, default: 1] - 1
            state.perAddress[address] = left > 0 ? left : nil
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// The peak since the previous call and the count now; the next period's peak starts at now.
    func takePeak() -> (peak: Int, now: Int) {
        state.withLock { state in
            let figures = (peak: state.peak, now: state.entries.count)
            state.peak = state.entries.count
            return figures
        }
    }

    /// Asks every connection to close (each on its own event loop).
    func closeAll(code: CloseCode, reason: String) {
        for entry in state.withLock({ Array($0.entries.values) }) {
            entry.eventLoop.execute { entry.transport.handler?.closeSession(code: code, reason: reason) }
        }
    }

    /// Closes every connection's socket at once, without a closing handshake (each on its own event
    /// loop): what the grace period of a shutdown leaves. Their departures reach the room while every
    /// event loop still runs — left to the event loops' own shutdown, a member of one loop leaving
    /// the room on another loop, already stopped, was a task scheduled on a dead loop.
    func dropAll() {
        for entry in state.withLock({ Array($0.entries.values) }) {
            entry.eventLoop.execute { entry.transport.close() }
        }
    }
}
