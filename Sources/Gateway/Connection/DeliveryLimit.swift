/// Whether one more line may be queued for a room member: within its own limit, and — past the
/// server-wide budget — within an equal share of it. A member over either is a slow consumer,
/// closed so that it can neither grow memory nor slow the others.
enum DeliveryLimit: Equatable {
    case within
    /// Over this limit (bytes): the member is closed with 1008.
    case exceeded(limit: Int)

    static func check(queued: Int, adding bytes: Int, perMember: Int, budget: BufferBudget, connections: @autoclosure () -> Int) -> DeliveryLimit {
        guard queued + bytes <= perMember else { return .exceeded(limit: perMember) }
        if budget.isOverdrawn(memberQueued: queued, adding: bytes, connections: connections()) {
            return .exceeded(limit: budget.limit / max(connections(), 1))
        }
        return .within
    }
}
