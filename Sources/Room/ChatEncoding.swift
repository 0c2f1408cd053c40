/// The room's outbound messages, per dialect.
public enum ChatEncoding {
    /// The outbound action of the tutorial's protocol.
    public static let chatIn = "ws/chat/in"

    /// A chat line for the tutorial's page: `{"action":"ws/chat/in","msg":{"from":…,"message":…}}`,
    /// `msg` as an object (the page accepts it as is), text HTML-escaped because the page renders
    /// it with innerHTML.
    public static func tutorial(_ line: ChatLine) -> String {
        JSONText.encode(.object([("action", .string(chatIn)),
                                 ("msg", .object([("from", .string(htmlEscaped(line.from))), ("message", .string(htmlEscaped(line.message)))]))]))
    }

    /// A chat line for `passerelle.chat.v1` clients: raw text, the room's sequence number and the
    /// sender's protocol version.
    public static func passerelle(_ line: ChatLine, sequence: UInt64, via: String, history: Bool = false) -> String {
        var members: [(key: String, value: JSONValue)] = [("action", .string(chatIn)),
                                                          ("msg", .object([("from", .string(line.from)), ("message", .string(line.message))])),
                                                          ("seq", .unsigned(sequence)), ("via", .string(via))]
        if history { members.append(("history", .bool(true))) }
        return JSONText.encode(.object(members))
    }

    /// The end of a history reply: how many stored lines were sent, up to which sequence.
    public static func historyEnd(after: UInt64, count: Int, through: UInt64) -> String {
        JSONText.encode(.object([("action", .string("ws/room/history")),
                                 ("msg", .object([("after", .unsigned(after)), ("count", .integer(count)), ("through", .unsigned(through))]))]))
    }

    /// Presence for `passerelle.chat.v1` clients.
    public static func presence(event: String, members: Int) -> String {
        JSONText.encode(.object([("action", .string("ws/room/presence")),
                                 ("msg", .object([("event", .string(event)), ("members", .integer(members))]))]))
    }

    /// An error reply to one `passerelle.chat.v1` client.
    public static func error(_ reason: String) -> String {
        JSONText.encode(.object([("action", .string("ws/error")), ("msg", .object([("reason", .string(reason))]))]))
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
}
