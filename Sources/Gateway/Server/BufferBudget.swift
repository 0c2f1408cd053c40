import Synchronization

/// Bytes written to members' sockets but not yet taken by them, summed over the whole server:
/// the per-member limit bounds one slow member, this bounds many of them at once.
final class BufferBudget: Sendable {
    private let queued = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    var total: Int { queued.load(ordering: .relaxed) }

    func add(_ bytes: Int) { queued.wrappingAdd(bytes, ordering: .relaxed) }
    func remove(_ bytes: Int) { queued.wrappingSubtract(bytes, ordering: .relaxed) }
    /// A member's figure moved from what it was to what it is (either way).
    func adjust(by delta: Int) { if delta != 0 { queued.wrappingAdd(delta, ordering: .relaxed) } }

    /// Past the total, a member holding more than an equal share of it is the one to close:
    /// members within their share keep being served, so the total stays under twice the limit.
    /// `connections` is only asked for past the total (it takes the registry's lock).
    func isOverdrawn(memberQueued: Int, adding bytes: Int, connections: @autoclosure () -> Int) -> Bool {
        guard total + bytes > limit else { return false }
        return memberQueued + bytes > limit / max(connections(), 1)
    }
}
