import Foundation

/// What a member's text frame asks of the room.
public enum ChatCommand: Hashable, Sendable {
    /// `ctrl/chat/out`: say a line. `repaired` when the tutorial's unescaped inner JSON had to be
    /// read leniently.
    case say(ChatLine, repaired: Bool)
    /// `ctrl/room/history` (`passerelle.chat.v1` only, with a cluster): the stored lines numbered
    /// after `after`, at most `limit`.
    case history(after: UInt64, limit: Int)
    /// A well-formed message with an action the room does not know.
    case unknownAction(String)
    /// Not the room's protocol at all.
    case malformed(String)

    /// The inbound action of the tutorial's protocol.
    public static let chatOut = "ctrl/chat/out"
    /// History replay, an extension of `passerelle.chat.v1`.
    public static let historyRequest = "ctrl/room/history"
    /// The most lines one history request returns.
    public static let historyLimit = 1_000

    /// Parses one text frame.
    ///
    /// The tutorial's page sends `{"action":"ctrl/chat/out", "msg":"<inner>"}` where `<inner>` is
    /// `{"from":"PSEUDO", "message":"TEXT"}` built by string concatenation, *without escaping*: a `"`
    /// or `\` in either makes it invalid JSON. Rather than drop such lines (the tutorial's PHP
    /// broadcast `"msg":null`, which threw in every page), the exact shape the page produces is
    /// read leniently. `msg` as an object is accepted too (modern clients).
    public static func parse(_ text: String) -> ChatCommand {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .malformed("not a JSON object")
        }
        guard let action = object["action"] as? String else { return .malformed("no action") }
        if action == historyRequest {
            let msg = object["msg"] as? [String: Any] ?? [:]
            let after = (msg["after"] as? NSNumber)?.int64Value ?? 0
            let limit = (msg["limit"] as? NSNumber)?.intValue ?? 100
            guard after >= 0, limit > 0 else { return .malformed("history: after ≥ 0 and limit > 0") }
            return .history(after: UInt64(after), limit: min(limit, historyLimit))
        }
        guard action == chatOut else { return .unknownAction(action) }
        switch object["msg"] {
        case let inner as [String: Any]:
            return line(from: inner).map { .say($0, repaired: false) } ?? .malformed("msg lacks from/message")
        case let inner as String:
            if let innerData = inner.data(using: .utf8),
               let parsed = try? JSONSerialization.jsonObject(with: innerData) as? [String: Any] {
                return line(from: parsed).map { .say($0, repaired: false) } ?? .malformed("msg lacks from/message")
            }
            if let repaired = tutorialLine(inner) { return .say(repaired, repaired: true) }
            return .malformed("msg is not JSON")
        default:
            return .malformed("msg missing")
        }
    }

    private static func line(from object: [String: Any]) -> ChatLine? {
        guard let from = scalarText(object["from"]), let message = scalarText(object["message"]) else { return nil }
        return ChatLine(from: from, message: message)
    }

    private static func scalarText(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// `{"from":"` + pseudo + `", "message":"` + text + `"}` exactly as the page concatenates it.
    /// The first separator wins: a pseudo containing `", "message":"` is read as its prefix.
    static func tutorialLine(_ inner: String) -> ChatLine? {
        let prefix = #"{"from":""#, separator = #"", "message":""#, suffix = #""}"#
        guard inner.hasPrefix(prefix), inner.hasSuffix(suffix), inner.count >= prefix.count + separator.count + suffix.count else { return nil }
        let body = inner.dropFirst(prefix.count).dropLast(suffix.count)
        guard let range = body.range(of: separator) else { return nil }
        return ChatLine(from: String(body[..<range.lowerBound]), message: String(body[range.upperBound...]))
    }
}
