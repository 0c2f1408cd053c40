/// One of the two connections a bridged pair joins.
public enum Leg: String, Hashable, Sendable, CaseIterable {
    /// The client's connection to Passerelle (any version; Passerelle is its server).
    case client
    /// Passerelle's connection to the route's backend (the route's version; Passerelle is its client).
    case upstream

    public var other: Leg { self == .client ? .upstream : .client }
}
