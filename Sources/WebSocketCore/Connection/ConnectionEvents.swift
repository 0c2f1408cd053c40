/// The events of one call into a connection, in order. The first is held inline and only the
/// ones after it in an array: nearly every read yields one message, and an `[ConnectionEvent]`
/// was a heap allocation per read on the gateway's hot path (issue 6).
public struct ConnectionEvents: Hashable, Sendable, RandomAccessCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral {
    // Invariant: `rest` is empty whenever `head` is nil, so equal sequences are equal values.
    // Inlinable throughout: the gateway iterates these from another module, where each element
    // would otherwise be copied and destroyed through the enum's outlined value witnesses.
    @usableFromInline var head: ConnectionEvent?
    @usableFromInline var rest: [ConnectionEvent] = []

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
    public var endIndex: Int { head == nil ? 0 : 1 + rest.count }

    @inlinable
    public subscript(position: Int) -> ConnectionEvent {
        precondition(position >= 0 && position < endIndex, "ConnectionEvents index out of range")
        return position == 0 ? head! : rest[position - 1]
    }

    @inlinable
    public mutating func append(_ event: ConnectionEvent) {
        if head == nil { head = event } else { rest.append(event) }
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
}
