import Foundation
import Testing
import Gateway
import WebSocketCore

/// One room, real clients of every era at once, through the live gateway.
@Suite(.serialized, .ownThread) struct RoomPeerTests {
    /// A chat line as a member saw it.
    struct Line: Hashable, CustomStringConvertible {
        var from: String
        var message: String
        var description: String { "\(from): \(message)" }
    }

    /// The tutorial page's exact frame for (pseudo, text): inner JSON by concatenation, outer by
    /// JSON.stringify of that string.
    static func tutorialFrame(_ from: String, _ text: String) -> String {
        let inner = #"{"from":""# + from + #"", "message":""# + text + #""}"#
        let quoted = "\"" + inner.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        return #"{"action":"ctrl/chat/out", "msg":"# + quoted + "}"
    }

    /// Lines out of `frame: {...}` output lines (tutorial dialect: HTML-escaped, msg as object).
    static func lines(fromFrames output: [String]) throws -> [Line] {
        try output.filter { $0.hasPrefix("frame: ") || $0.hasPrefix("message: ") }.map { row in
            let json = String(row.drop { $0 != " " }.dropFirst())
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(row)")
            #expect(object["action"] as? String == "ws/chat/in")
            let msg = try #require(object["msg"] as? [String: String], "\(row)")
            return Line(from: unescapeHTML(msg["from"] ?? ""), message: unescapeHTML(msg["message"] ?? ""))
        }
    }

    static func unescapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Headless Chromium on the served page (`base` is http(s)://HOST:PORT) as member `pseudo`: waits
    /// until `members` are in the room, says `lines`, and stops once it has received `total` lines.
    static func startChromium(_ base: String, pseudo: String, members: Int, total: Int, saying lines: [String],
                              insecure: Bool = false) throws -> PeerProcess.Running {
        let page = "\(base)/?pseudo=\(pseudo)&waitfor=\(members)&expect=\(total)&say="
            + lines.map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }.joined(separator: "%7C")
        return try PeerProcess.start("python3", [PeerProcess.script("chromium_page.py"), page] + (insecure ? ["--insecure"] : [])
                                     + ["--timeout", "40", "--wait-for", "received \(total) lines", "--eval",
                                        "[...document.querySelectorAll('.line')].map(l => [l.dataset.from, l.dataset.message])"])
    }

    /// The lines Chromium's page showed, from `startChromium`'s output.
    static func chromiumLines(_ result: PeerProcess.Result) throws -> [Line] {
        let pairs = try #require(try JSONSerialization.jsonObject(with: Data((result.lines.last ?? "[]").utf8)) as? [[String]], "\(result)")
        return pairs.map { Line(from: $0[0], message: $0[1]) }
    }

    @Test func hixie76Hixie75DeflateAndChromiumShareOneOrderedRoom() throws {
        let gateway = try TestGateway()
        let said: [String: [String]] = [
            "TV": ["bonsoir depuis 2010", "la t\u{e9}l\u{e9} parle hixie-76", "<b>pas de HTML</b>"],
            "Kiosk": ["hixie-75 ici", "toujours l\u{e0}", "fin"],
            "Python": ["deflate activ\u{e9}", #"il a dit "oui" \o/"#, "3"],
            "Chromium": ["navigateur moderne", "\u{e7}a marche", "\u{20ac} \u{1D11E}"],
        ]
        let total = said.values.map(\.count).reduce(0, +)
        let chromium = try Self.startChromium("http://127.0.0.1:\(gateway.port)", pseudo: "Chromium", members: 4, total: total,
                                              saying: said["Chromium"]!)
        let tv = try PeerProcess.start("perl", [PeerProcess.script("hixie76_client.pl"), gateway.url("/serveur.php"), "--expect", "\(total)",
                                                "--wait-stdin"] + said["TV"]!.map { Self.tutorialFrame("TV", $0) })
        let kiosk = try PeerProcess.start("ruby", [PeerProcess.script("ruby_room_client.rb"), gateway.url("/serveur.php"), "Kiosk", "\(total)"]
                                          + said["Kiosk"]!)
        let python = try PeerProcess.start("python3", [PeerProcess.script("python_room_client.py"), gateway.url("/chat"), "Python", "\(total)"]
                                           + said["Python"]!)
        // Everyone in the room before anyone speaks.
        let deadline = Date().addingTimeInterval(30)
        while try gateway.server.roomMemberCount() < 4 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try gateway.server.roomMemberCount() == 4)
        for peer in [tv, kiosk, python] { peer.send("go") }

        let results = ["TV": tv.finish(), "Kiosk": kiosk.finish(), "Python": python.finish(), "Chromium": chromium.finish()]
        for (name, result) in results { #expect(result.status == 0, "\(name): \(result)") }

        var seen: [String: [Line]] = [:]
        for name in ["TV", "Kiosk", "Python"] { seen[name] = try Self.lines(fromFrames: results[name]!.lines) }
        seen["Chromium"] = try Self.chromiumLines(results["Chromium"]!)

        // Every member saw every line, in the same order, each sender's lines in its own order.
        let reference = try #require(seen["TV"])
        #expect(reference.count == total)
        for (name, lines) in seen { #expect(lines == reference, "\(name) saw another order:\n\(lines)\nvs TV:\n\(reference)") }
        for (name, texts) in said { #expect(reference.filter { $0.from == name }.map(\.message) == texts, "\(name)'s lines") }

        // What each member negotiated.
        let stats = gateway.closedConnections(atLeast: 4).filter { $0.version != nil }
        #expect(Set(stats.compactMap(\.version)) == [.hixie76, .hixie75, .rfc6455])
        #expect(stats.filter { $0.extensions == "permessage-deflate; server_no_context_takeover" }.count == 2,
                "Python and Chromium negotiate deflate (the room's default: compressed once for all)")
        #expect(results["Python"]!.stdout.contains("handshake: ok permessage-deflate"))
    }
}

/// The default (server_no_context_takeover): each line is compressed once and the same bytes go to every
/// deflate member; independent inflaters (Python's zlib through `websockets`, Chromium's) must
/// read them, next to a hixie-76 member that gets the plain frame.
@Suite(.serialized, .ownThread) struct RoomCompressOnceTests {
    @Test func deflateMembersInflateTheSharedCompressedLines() throws {
        let configuration = GatewayConfiguration(port: 0)
        #expect(configuration.handshake.deflate?.ownNoContextTakeover == true)
        let gateway = try TestGateway(configuration)
        let said: [String: [String]] = [
            "P1": ["compress\u{e9} une fois", String(repeating: "r\u{e9}p\u{e9}tition ", count: 50)],
            "P2": ["\u{20ac} \u{1D11E} <b>x</b>"],
            "TV": ["hixie-76 en clair"],
            "Chromium": ["navigateur"],
        ]
        let total = said.values.map(\.count).reduce(0, +)
        let chromium = try RoomPeerTests.startChromium("http://127.0.0.1:\(gateway.port)", pseudo: "Chromium", members: 4, total: total,
                                                       saying: said["Chromium"]!)
        let pythons = try ["P1", "P2"].map { name in
            try PeerProcess.start("python3", [PeerProcess.script("python_room_client.py"), gateway.url("/chat"), name, "\(total)"] + said[name]!)
        }
        let tv = try PeerProcess.start("perl", [PeerProcess.script("hixie76_client.pl"), gateway.url("/serveur.php"), "--expect", "\(total)",
                                                "--wait-stdin"] + said["TV"]!.map { RoomPeerTests.tutorialFrame("TV", $0) })
        let deadline = Date().addingTimeInterval(30)
        while try gateway.server.roomMemberCount() < 4 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        for peer in pythons + [tv] { peer.send("go") }
        let results = ["P1": pythons[0].finish(), "P2": pythons[1].finish(), "TV": tv.finish(), "Chromium": chromium.finish()]
        for (name, result) in results { #expect(result.status == 0, "\(name): \(result)") }
        var seen: [String: [RoomPeerTests.Line]] = [:]
        for name in ["P1", "P2", "TV"] { seen[name] = try RoomPeerTests.lines(fromFrames: results[name]!.lines) }
        seen["Chromium"] = try RoomPeerTests.chromiumLines(results["Chromium"]!)
        let reference = try #require(seen["TV"])
        #expect(reference.count == total)
        for (name, lines) in seen { #expect(lines == reference, "\(name) saw other lines") }
        // Python's answer shows the server compressing without context takeover.
        #expect(results["P1"]!.stdout.contains("server_no_context_takeover"), "\(results["P1"]!)")
    }
}
