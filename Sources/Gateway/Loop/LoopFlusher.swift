import NIOCore
import NIOPosix

/// The connections of one event loop that wrote frames in this pass and wait for their flush: one
/// task flushes them all, at the end of the pass, instead of a task per connection (a line of a
/// large room would make a task per member, each a closure allocation and a trip through the
/// loop's task queue). Echo replies wait for it too, rather than flushing at the end of their own
/// read as NIO's echo example does: a pass's replies written together reach the peer's
/// `epoll_wait` together (the measurement is in docs/benchmarks.md).
/// Thread-local: one instance per event loop thread, touched only there.
final class LoopFlusher: @unchecked Sendable {
    private let loop: EventLoop
    private var waiting: [ConnectionTransport] = []
    /// The array being flushed, kept to reuse its storage.
    private var flushing: [ConnectionTransport] = []

    private init(loop: EventLoop) { self.loop = loop }

    private static let perLoop = LoopLocal<LoopFlusher>()

    /// The flusher of the event loop this code runs on.
    static func current(on loop: EventLoop) -> LoopFlusher {
        perLoop.current { LoopFlusher(loop: loop) }
    }

    /// `transport.flushScheduledOutbox()` runs once in this pass, after every task already
    /// queued; a transport asks at most once per pass (it keeps its own `flushScheduled`).
    func schedule(_ transport: ConnectionTransport) {
        waiting.append(transport)
        if waiting.count == 1 { loop.execute { self.flushAll() } }
    }

    private func flushAll() {
        swap(&waiting, &flushing)
        for transport in flushing { transport.flushScheduledOutbox() }
        flushing.removeAll(keepingCapacity: true)
    }
}
