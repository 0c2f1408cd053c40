import Room

/// One room line as the cluster ordered it: a row of `passerelle_room_messages`, whether it came
/// from this instance's `INSERT … RETURNING`, a `NOTIFY` or a catch-up read.
public struct ClusterRecord: Hashable, Sendable {
    public var room: String
    /// The room's sequence: one total order, the same on every instance.
    public var sequence: Int64
    /// Which instance published it (its members' echo is delivered from the INSERT, not the NOTIFY).
    public var instance: String
    public var line: ChatLine
    /// The sender's protocol version (`via` of the `passerelle.chat.v1` dialect).
    public var via: String
    /// When the publishing instance received it, µs since 1970 (cross-instance latency; assumes
    /// synchronised clocks).
    public var sentAtMicros: Int64

    public init(room: String, sequence: Int64, instance: String, line: ChatLine, via: String, sentAtMicros: Int64) {
        self.room = room
        self.sequence = sequence
        self.instance = instance
        self.line = line
        self.via = via
        self.sentAtMicros = sentAtMicros
    }
}
