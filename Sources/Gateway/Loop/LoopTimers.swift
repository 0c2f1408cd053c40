import NIOCore
import NIOPosix

/// The connection timers of one event loop — handshake deadlines, close timeouts, staged closes,
/// keepalive ticks — kept in first-in-first-out queues, one per delay, and run by one task.
///
/// Why not a scheduled task per connection: NIO cancels a scheduled task by searching its whole
/// queue, so with thousands of connections each cancel cost O(n) — measured, 12 % of the gateway's
/// CPU at 9,000 handshakes per second. A delay is a configuration constant, so entries of one delay
/// are due in the order they were added: adding and expiring are O(1), and nothing is ever
/// cancelled — an action that is no longer wanted finds its connection moved on and does nothing.
/// Thread-local: one instance per event loop thread, touched only there.
final class LoopTimers: @unchecked Sendable {
    /// Repeat after this delay, or stop.
    enum Next { case again, stop }

    private struct Entry {
        var due: NIODeadline
        var action: () -> Next
    }

    private let loop: EventLoop
    private var queues: [Int64: CircularBuffer<Entry>] = [:]
    private var ticking = false
    /// How often due entries are looked for while any are pending: the timers' resolution.
    static let resolution = TimeAmount.milliseconds(50)

    private init(loop: EventLoop) { self.loop = loop }

    private static let perLoop = LoopLocal<LoopTimers>()

    /// The timers of the event loop this code runs on.
    static func current(on loop: EventLoop) -> LoopTimers {
        perLoop.current { LoopTimers(loop: loop) }
    }

    /// Runs `action` once `delay` has passed (within `resolution`).
    func after(_ delay: TimeAmount, _ action: @escaping () -> Void) {
        add(delay) { action(); return .stop }
    }

    /// Runs `action` every `period` until it answers `.stop`.
    func every(_ period: TimeAmount, _ action: @escaping () -> Next) {
        add(period, action)
    }

    private func add(_ delay: TimeAmount, _ action: @escaping () -> Next) {
        queues[delay.nanoseconds, default: CircularBuffer(initialCapacity: 16)].append(Entry(due: .now() + delay, action: action))
        startTicking()
    }

    private func startTicking() {
        guard !ticking else { return }
        ticking = true
        loop.scheduleTask(in: Self.resolution) { self.tick() }
    }

    private func tick() {
        ticking = false
        let now = NIODeadline.now()
        var pending = false
        for key in Array(queues.keys) {
            while let first = queues[key]?.first, first.due <= now {
                queues[key]?.removeFirst()
                if first.action() == .again {
                    queues[key]?.append(Entry(due: now + .nanoseconds(key), action: first.action))
                }
            }
            if queues[key]?.isEmpty ?? true { queues[key] = nil } else { pending = true }
        }
        if pending { startTicking() }
    }
}

extension TimeAmount {
    /// A delay given in seconds by the configuration.
    static func seconds(_ value: Double) -> TimeAmount { .nanoseconds(Int64(value * 1_000_000_000)) }
}
