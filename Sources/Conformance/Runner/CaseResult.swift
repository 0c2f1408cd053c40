/// Autobahn-like outcomes, worst last.
public enum Outcome: String, Sendable, Codable, Comparable, CaseIterable {
    case ok = "OK"
    case informational = "INFORMATIONAL"
    case nonStrict = "NON-STRICT"
    case unimplemented = "UNIMPLEMENTED"
    case failed = "FAILED"

    private var rank: Int { Outcome.allCases.firstIndex(of: self)! }
    public static func < (lhs: Outcome, rhs: Outcome) -> Bool { lhs.rank < rhs.rank }
}

/// One line of a case's wire log.
public struct WireEntry: Sendable, Codable, Hashable {
    /// Milliseconds since the case started.
    public var time: Double
    /// `out` (to the server), `in`, or `note`.
    public var direction: String
    public var hex: String
    public var text: String
}

public struct CaseResult: Sendable, Codable {
    public var id: String
    public var group: String
    public var title: String
    public var section: String
    public var outcome: Outcome
    public var reason: String
    /// Set when an override file changed the outcome.
    public var override: String?
    public var durationMs: Double
    public var log: [WireEntry]
}
