import Foundation

/// The tutorial's chat protocol as bench/servers/node_ws_room.js answers it, shared by the Swift peers:
/// {"action":"ctrl/chat/out","msg":"{\"from\":…,\"message\":…}"} (msg a JSON string or an object)
/// becomes {"action":"ws/chat/in","msg":{"from":…,"message":…}}, HTML-escaped as the tutorial's page
/// expects. Keys in this order: `passerelle bench broadcast` finds a member's own lines by their start.
public enum RoomLine {
    public static func answer(to payload: Data) -> [UInt8]? {
        guard let outer = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
              outer["action"] as? String == "ctrl/chat/out" else { return nil }
        let inner: [String: Any]?
        if let nested = outer["msg"] as? String {
            inner = (try? JSONSerialization.jsonObject(with: Data(nested.utf8))) as? [String: Any]
        } else {
            inner = outer["msg"] as? [String: Any]
        }
        guard let inner else { return nil }
        let from = jsonString(htmlEscaped("\(inner["from"] ?? "")"))
        let message = jsonString(htmlEscaped("\(inner["message"] ?? "")"))
        return Array(#"{"action":"ws/chat/in","msg":{"from":"#.utf8) + from + Array(#","message":"#.utf8) + message + Array("}}".utf8)
    }

    /// The five entities of Passerelle's `ChatEncoding.htmlEscaped`, written again on purpose: a peer
    /// measured against Passerelle shares none of its code (as the node and Python rooms don't).
    static func htmlEscaped(_ text: String) -> String {
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

    /// A JSON string literal (RFC 8259 §7): quotes, backslash and control characters escaped.
    static func jsonString(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        bytes.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }
}
