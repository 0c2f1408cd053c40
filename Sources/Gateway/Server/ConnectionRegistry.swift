import NIOCore
import Synchronization
import WebSocketCore

/// The open connections, so the server can refuse past its limit and close everyone on shutdown.
final class ConnectionRegistry: Sendable {
    struct Entry: Sendable {
        let eventLoop: EventLoop
        /// Starts this connection's closing handshake (called on its event loop).
        let close: @Sendable (CloseCode, String) -> Void
    }

    private let entries = Mutex<[Int: Entry]>([:])
    private let nextID = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func makeID() -> Int { nextID.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Registers a connection; false when the server is full.
    func admit(_ id: Int, _ entry: Entry) -> Bool {
        entries.withLock { entries in
            guard entries.count < limit else { return false }
            entries[id] = entry
            return true
        }
    }

    func remove(_ id: Int) { _ = entries.withLock { $0.removeValue(forKey: id) } }

    var count: Int { entries.withLock { $0.count } }

    /// Asks every connection to close (each on its own event loop).
    func closeAll(code: CloseCode, reason: String) {
        for entry in entries.withLock({ Array($0.values) }) {
            entry.eventLoop.execute { entry.close(code, reason) }
        }
    }
}
