/// The events of one call into a connection, in order. The first is held inline and only the
/// ones after it in an array: nearly every read yields one message, and an `[ConnectionEvent]`
/// would be a heap allocation per read on the gateway's hot path.
public struct ConnectionEvents: Hashable, Sendable, RandomAccessCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral {
    // Inlinable throughout: the gateway and the bench iterate these from other modules, where each
    // element would otherwise be copied and destroyed through the enum's outlined value witnesses.
    // The first event is not an Optional: testing an optional enum for nil went through a runtime
    // witness call per test, and `endIndex` is read on every step of a loop.
    /// The first event; meaningful only when `count > 0` (a payload-free placeholder otherwise).
    @usableFromInline var head: ConnectionEvent = .pong([])
    @usableFromInline var rest: [ConnectionEvent] = []
    @usableFromInline var storedCount = 0

    @inlinable
    public init() {}

    @inlinable
    public init(arrayLiteral events: ConnectionEvent...) {
        self.init()
        append(contentsOf: events)
    }

    @inlinable
    public var startIndex: Int { 0 }
    @inlinable
    public var endIndex: Int { storedCount }

    @inlinable
    public subscript(position: Int) -> ConnectionEvent {
        precondition(position >= 0 && position < storedCount, "ConnectionEvents index out of range")
        return position == 0 ? head : rest[position - 1]
    }

    @inlinable
    public mutating func append(_ event: ConnectionEvent) {
        if storedCount == 0 { head = event } else { rest.append(event) }
        storedCount += 1
    }

    @inlinable
    public mutating func replaceSubrange<C: Collection>(_ subrange: Range<Int>, with events: C)
    where C.Element == ConnectionEvent {
        if subrange.isEmpty && subrange.lowerBound == endIndex {   // appending: keep the inline head
            for event in events { append(event) }
            return
        }
        var all = Array(self)
        all.replaceSubrange(subrange, with: events)
        self = ConnectionEvents()
        for event in all { append(event) }
    }

    // Equal as sequences: the placeholder of an empty value is not an event.
    @inlinable
    public static func == (lhs: ConnectionEvents, rhs: ConnectionEvents) -> Bool {
        lhs.elementsEqual(rhs)
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storedCount)
        for event in self { hasher.combine(event) }
    }
}
