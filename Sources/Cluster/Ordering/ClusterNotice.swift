import Foundation
import Room

/// The `NOTIFY` payload (PostgreSQL limits it to < 8000 bytes): the whole record when it fits
/// (built by the INSERT statement itself, see `ClusterSchema.publish`), else only its room,
/// sequence and instance — the receiver then reads the row.
public enum ClusterNotice: Equatable, Sendable {
    case inline(ClusterRecord)
    case reference(room: String, sequence: Int64, instance: String)

    /// Keys as `ClusterSchema.publish` writes them with `json_build_object`.
    private struct Payload: Decodable {
        var r: String
        var s: Int64
        var i: String
        var f: String?
        var m: String?
        var v: String?
        var t: Int64?
    }

    /// nil for a payload that is not ours (another program notifying on the channel).
    public static func decode(_ payload: String) -> ClusterNotice? {
        guard let fields = try? JSONDecoder().decode(Payload.self, from: Data(payload.utf8)) else { return nil }
        guard let from = fields.f, let message = fields.m, let via = fields.v, let sentAt = fields.t else {
            return .reference(room: fields.r, sequence: fields.s, instance: fields.i)
        }
        return .inline(ClusterRecord(room: fields.r, sequence: fields.s, instance: fields.i,
                                     line: ChatLine(from: from, message: message), via: via, sentAtMicros: sentAt))
    }

    public var room: String {
        switch self {
        case .inline(let record): return record.room
        case .reference(let room, _, _): return room
        }
    }

    public var sequence: Int64 {
        switch self {
        case .inline(let record): return record.sequence
        case .reference(_, let sequence, _): return sequence
        }
    }

    public var instance: String {
        switch self {
        case .inline(let record): return record.instance
        case .reference(_, _, let instance): return instance
        }
    }
}
