import Testing
import Room

@Suite struct ChatCommandTests {
    /// The exact string the tutorial's page sends for pseudo "Tom" and message "Salut".
    static let tutorialFrame = #"{"action":"ctrl/chat/out", "msg":"{\"from\":\"Tom\", \"message\":\"Salut\"}"}"#

    @Test func tutorialFrameIsAChatLine() {
        #expect(ChatCommand.parse(Self.tutorialFrame) == .say(ChatLine(from: "Tom", message: "Salut"), repaired: false))
    }

    @Test func unescapedQuoteInTutorialInnerJSONIsRepaired() {
        // The page builds '{"from":"' + uId + '", "message":"' + text + '"}' without escaping, then
        // JSON.stringify()s that string: a quote in the text makes the inner JSON invalid.
        let inner = #"{"from":"Tom", "message":"il a dit "bonjour" \o/"}"#
        let frame = #"{"action":"ctrl/chat/out", "msg":"# + Self.jsonString(inner) + "}"
        #expect(ChatCommand.parse(frame) == .say(ChatLine(from: "Tom", message: #"il a dit "bonjour" \o/"#), repaired: true))
    }

    @Test func messageObjectIsAccepted() {
        #expect(ChatCommand.parse(#"{"action":"ctrl/chat/out","msg":{"from":"a","message":"b"}}"#) == .say(ChatLine(from: "a", message: "b"), repaired: false))
    }

    @Test(arguments: [
        ("not json", "not a JSON object"), ("[1,2]", "not a JSON object"), (#"{"msg":"x"}"#, "no action"),
        (#"{"action":"ctrl/chat/out"}"#, "msg missing"), (#"{"action":"ctrl/chat/out","msg":null}"#, "msg missing"),
        (#"{"action":"ctrl/chat/out","msg":"plain words"}"#, "msg is not JSON"),
        (#"{"action":"ctrl/chat/out","msg":{"from":"a"}}"#, "msg lacks from/message"),
    ])
    func malformedFramesAreNamed(frame: String, reason: String) {
        #expect(ChatCommand.parse(frame) == .malformed(reason))
    }

    @Test func unknownActionIsNamed() {
        #expect(ChatCommand.parse(#"{"action":"demo/other","msg":""}"#) == .unknownAction("demo/other"))
    }

    static func jsonString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

@Suite struct ChatRoomTests {
    /// Members leave from anywhere in the room and come back: the room still delivers in join
    /// order, finds each sender, and tells only the `passerelle` members — through the compaction
    /// that drops the leavers' slots once they are half the room.
    @Test func joinOrderSendersAndPresenceHoldThroughLeavesAndCompaction() {
        var room = ChatRoom()
        for id in 1...1000 { _ = room.join(id, dialect: id % 100 == 0 ? .passerelle : .tutorial, version: .rfc6455) }
        for id in stride(from: 1, through: 999, by: 2) { #expect(room.leave(id).map(\.to) == Array(stride(from: 100, through: 1000, by: 100))) }
        #expect(room.count == 500)
        #expect(room.members.map(\.id) == Array(stride(from: 2, through: 1000, by: 2)))
        let left = room.leave(2)   // the 501st leaver: half the slots are holes, the room compacts
        #expect(left.map(\.to) == Array(stride(from: 100, through: 1000, by: 100)))
        #expect(left.first?.text == #"{"action":"ws/room/presence","msg":{"event":"leave","members":499}}"#)
        #expect(room.leave(2).isEmpty, "a member leaves once")
        #expect(room.join(2, dialect: .tutorial, version: .hixie76).count == 10, "the rich members hear the join")
        let (deliveries, _) = room.receive(.text(ChatCommandTests.tutorialFrame), from: 2)
        #expect(deliveries.map(\.to) == Array(stride(from: 4, through: 1000, by: 2)) + [2])
        #expect(deliveries.last?.text == #"{"action":"ws/chat/in","msg":{"from":"Tom","message":"Salut"}}"#)
        #expect(room.interpret(.text(ChatCommandTests.tutorialFrame), from: 3) == .refuse(replies: [], reason: "not a member"))
        #expect(room.historyReply(to: 1000, lines: [], after: 0).count == 1, "a rich member found after compaction")
    }

    /// A room of tutorial pages alone encodes no presence: nobody would read it.
    @Test func presenceIsOnlyForPasserelleMembers() {
        var room = ChatRoom()
        #expect(room.join(1, dialect: .tutorial, version: .hixie76).isEmpty)
        #expect(room.join(2, dialect: .tutorial, version: .hixie75).isEmpty)
        #expect(room.join(3, dialect: .passerelle, version: .rfc6455).map(\.to) == [3])
        #expect(room.leave(3).isEmpty, "the last rich member is gone: nobody to tell")
        #expect(room.leave(1).isEmpty)
    }

    @Test func everyMemberGetsTheLineInItsDialectTheSenderIncluded() {
        var room = ChatRoom()
        _ = room.join(1, dialect: .tutorial, version: .hixie76)
        _ = room.join(2, dialect: .passerelle, version: .rfc6455)
        _ = room.join(3, dialect: .tutorial, version: .rfc6455)
        let (deliveries, note) = room.receive(.text(ChatCommandTests.tutorialFrame), from: 1)
        #expect(deliveries.map(\.to) == [1, 2, 3])
        #expect(deliveries[0].text == #"{"action":"ws/chat/in","msg":{"from":"Tom","message":"Salut"}}"#)
        #expect(deliveries[1].text == #"{"action":"ws/chat/in","msg":{"from":"Tom","message":"Salut"},"seq":1,"via":"hixie-76"}"#)
        #expect(note == .broadcast(ChatLine(from: "Tom", message: "Salut"), sequence: 1, repaired: false))
    }

    @Test func htmlIsEscapedForTutorialPagesOnly() {
        var room = ChatRoom()
        _ = room.join(1, dialect: .tutorial, version: .hixie76)
        _ = room.join(2, dialect: .passerelle, version: .rfc6455)
        let frame = #"{"action":"ctrl/chat/out","msg":{"from":"<b>x</b>","message":"<img src=x onerror=alert(1)> & 'q'"}}"#
        let (deliveries, _) = room.receive(.text(frame), from: 2)
        #expect(deliveries[0].text.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;"))
        #expect(!deliveries[0].text.contains("<img"))
        #expect(deliveries[1].text.contains("<img src=x onerror=alert(1)> & 'q'"))
    }

    @Test func garbageIsNeverBroadcastAndOnlyRichClientsGetAnError() {
        var room = ChatRoom()
        _ = room.join(1, dialect: .tutorial, version: .hixie76)
        _ = room.join(2, dialect: .passerelle, version: .rfc6455)
        #expect(room.receive(.text("garbage"), from: 1).deliveries.isEmpty)
        let fromRich = room.receive(.text("garbage"), from: 2).deliveries
        #expect(fromRich == [ChatRoom.Delivery(to: 2, text: #"{"action":"ws/error","msg":{"reason":"not a JSON object"}}"#)])
        #expect(room.receive(.binary([1, 2]), from: 1).deliveries.isEmpty)
        #expect(room.sequence == 0)
    }

    @Test func demoStopIsJustALine() {
        var room = ChatRoom()
        _ = room.join(1, dialect: .tutorial, version: .hixie76)
        let frame = #"{"action":"ctrl/chat/out", "msg":"{\"from\":\"x\", \"message\":\"demo.stop\"}"}"#
        let (deliveries, _) = room.receive(.text(frame), from: 1)
        #expect(deliveries.count == 1 && deliveries[0].text.contains("demo.stop"))
        #expect(room.count == 1)
    }

    @Test func presenceGoesToRichMembersOnly() {
        var room = ChatRoom()
        #expect(room.join(1, dialect: .tutorial, version: .hixie76).isEmpty)
        let joined = room.join(2, dialect: .passerelle, version: .rfc6455)
        #expect(joined == [ChatRoom.Delivery(to: 2, text: #"{"action":"ws/room/presence","msg":{"event":"join","members":2}}"#)])
        #expect(room.leave(1).map(\.to) == [2])
        #expect(room.leave(1).isEmpty)
    }
}
