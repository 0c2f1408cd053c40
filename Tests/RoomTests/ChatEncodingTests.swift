import Foundation
import Testing
@testable import Room

/// The room's JSON writer against Foundation's: byte for byte what `JSONSerialization` writes with
/// sorted keys and unescaped slashes, for every message the room sends and every character that
/// needs care — clients parse it with their own JSON, the tests of other suites compare strings.
@Suite struct ChatEncodingTests {
    /// Every control character, the two that must be escaped, the solidus, DEL, non-ASCII and
    /// the line separators JavaScript once refused in string literals.
    static let awkward: [String] = {
        var controls = ""
        for value in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        return ["", "Salut", controls, #"quote " backslash \ slash / </script>"#, "\u{7F}é€😀\u{2028}\u{2029}\u{FFFE}",
                "<b>&'\"</b>", String(repeating: "a", count: 9_000)]
    }()

    static func foundation(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: awkward)
    func chatLinesAreWhatFoundationWrites(_ text: String) {
        let line = ChatLine(from: text, message: text + "!")
        #expect(ChatEncoding.tutorial(line) == Self.foundation(
            ["action": "ws/chat/in", "msg": ["from": ChatEncoding.htmlEscaped(text), "message": ChatEncoding.htmlEscaped(text + "!")]]))
        #expect(ChatEncoding.passerelle(line, sequence: UInt64.max, via: "hixie-76") == Self.foundation(
            ["action": "ws/chat/in", "msg": ["from": text, "message": text + "!"], "seq": UInt64.max, "via": "hixie-76"]))
        #expect(ChatEncoding.passerelle(line, sequence: 7, via: "13", history: true) == Self.foundation(
            ["action": "ws/chat/in", "msg": ["from": text, "message": text + "!"], "seq": 7, "via": "13", "history": true]))
        #expect(ChatEncoding.error(text) == Self.foundation(["action": "ws/error", "msg": ["reason": text]]))
    }

    @Test func roomMessagesAreWhatFoundationWrites() {
        #expect(ChatEncoding.presence(event: "join", members: 1_000) == Self.foundation(
            ["action": "ws/room/presence", "msg": ["event": "join", "members": 1_000]]))
        #expect(ChatEncoding.historyEnd(after: 0, count: 50, through: 52) == Self.foundation(
            ["action": "ws/room/history", "msg": ["after": 0, "count": 50, "through": 52]]))
    }

    @Test func everyLineParsesBackToItsText() throws {
        for text in Self.awkward {
            let encoded = ChatEncoding.passerelle(ChatLine(from: "Tom", message: text), sequence: 1, via: "13")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String: Any])
            #expect((object["msg"] as? [String: Any])?["message"] as? String == text)
        }
    }
}
