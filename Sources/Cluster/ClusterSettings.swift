import Foundation

/// How an instance joins the cluster (`passerelle serve --cluster URL`). Every bound explicit.
public struct ClusterSettings: Sendable {
    public var database: ClusterDatabaseURL
    /// This instance's name in the table and in NOTIFY payloads (its own echoes are recognised by it).
    /// Unique per running process: the default adds the pid and a random suffix to the host name.
    public var instance: String
    /// The room every room path of this gateway leads to (all instances of one cluster use the same).
    public var room: String = "chat"
    /// The NOTIFY channel.
    public var channel: String = "passerelle_room_messages"
    /// Lines waiting to be written to PostgreSQL (database slow or down). Past it, a member who
    /// speaks is closed with 1013 (try again later): bounded, never an unbounded queue.
    public var outboxLimit: Int = 4_096
    /// Lines per INSERT statement (lines that arrive while one is in flight go together in the next).
    public var batchLimit: Int = 256
    /// A NOTIFY payload longer than this carries a reference only; the receivers read the row
    /// (PostgreSQL refuses payloads of 8000 bytes or more).
    public var notifyInlineLimit: Int = 7_900
    /// How long a missing sequence may be waited for on the LISTEN connection before the table is read.
    public var gapGraceSeconds: Double = 0.1
    /// Rows per catch-up read.
    public var catchUpBatch: Int = 1_000
    /// Records held in memory waiting for an earlier one; beyond, they are read again from the table.
    public var holdLimit: Int = 10_000
    /// Reconnection back-off: doubles from the first to the last, with jitter.
    public var backoffFirstSeconds: Double = 0.1
    public var backoffMaxSeconds: Double = 5
    /// Retention: rows older than this (seconds; 0 = no age limit) and rows beyond the last
    /// `retentionCount` of a room (0 = no count limit) are deleted every `retentionIntervalSeconds`.
    public var retentionSeconds: Double = 86_400
    public var retentionCount: Int = 100_000
    public var retentionIntervalSeconds: Double = 60
    public var connectTimeoutSeconds: Double = 5

    public init(database: ClusterDatabaseURL, instance: String? = nil) {
        self.database = database
        self.instance = instance ?? ClusterSettings.defaultInstanceName()
    }

    public static func defaultInstanceName() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "passerelle"
        return "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}
