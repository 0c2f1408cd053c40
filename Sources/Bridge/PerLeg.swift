/// A value for each leg, stored side by side: the relay touches these on every message, where a
/// dictionary or set keyed by `Leg` would hash each time.
struct PerLeg<Value> {
    var client: Value
    var upstream: Value

    init(_ both: Value) {
        client = both
        upstream = both
    }

    subscript(leg: Leg) -> Value {
        get { leg == .client ? client : upstream }
        set { if leg == .client { client = newValue } else { upstream = newValue } }
    }
}

extension PerLeg where Value == Bool {
    func contains(_ leg: Leg) -> Bool { self[leg] }
    mutating func insert(_ leg: Leg) { self[leg] = true }
    mutating func remove(_ leg: Leg) { self[leg] = false }
}
