import Foundation

/// The room's outbound messages, per dialect.
public enum ChatEncoding {
    /// The outbound action of the tutorial's protocol.
    public static let chatIn = "ws/chat/in"

    /// A chat line for the tutorial's page: `{"action":"ws/chat/in","msg":{"from":…,"message":…}}`,
    /// `msg` as an object (the page accepts it as is), text HTML-escaped because the page renders
    /// it with innerHTML.
    public static func tutorial(_ line: ChatLine) -> String {
        json(["action": chatIn, "msg": ["from": htmlEscaped(line.from), "message": htmlEscaped(line.message)]])
    }

    /// A chat line for `passerelle.chat.v1` clients: raw text, the room's sequence number and the
    /// sender's protocol version.
    public static func passerelle(_ line: ChatLine, sequence: UInt64, via: String, history: Bool = false) -> String {
        var object: [String: Any] = ["action": chatIn, "msg": ["from": line.from, "message": line.message], "seq": sequence, "via": via]
        if history { object["history"] = true }
        return json(object)
    }

    /// The end of a history reply: how many stored lines were sent, up to which sequence.
    public static func historyEnd(after: UInt64, count: Int, through: UInt64) -> String {
        json(["action": "ws/room/history", "msg": ["after": after, "count": count, "through": through]])
    }

    /// Presence for `passerelle.chat.v1` clients.
    public static func presence(event: String, members: Int) -> String {
        json(["action": "ws/room/presence", "msg": ["event": event, "members": members]])
    }

    /// An error reply to one `passerelle.chat.v1` client.
    public static func error(_ reason: String) -> String {
        json(["action": "ws/error", "msg": ["reason": reason]])
    }

    /// `&`, `<`, `>`, `"`, `'` as entities: inert in element content and attribute values.
    public static func htmlEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func json(_ object: [String: Any]) -> String {
        // Sorted keys: "action" before "msg", "from" before "message" — stable bytes for tests.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
