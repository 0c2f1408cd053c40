import NIOCore
import NIOEmbedded
import Room
import Testing
@testable import Gateway

/// A room line goes to each (event loop, dialect) group in one task: the groups hold every member
/// once, in join order, so each member still receives the lines in the room's order.
@Suite struct LineGroupTests {
    @Test func everyMemberOnceByLoopAndDialectInJoinOrder() {
        let first = EmbeddedEventLoop(), second = EmbeddedEventLoop()
        func member(_ id: Int, _ loop: EventLoop) -> RoomMember {
            RoomMember(id: id, eventLoop: loop, deliver: { _ in }, close: { _ in })
        }
        var room = ChatRoom()
        let dialects: [ChatDialect] = [.tutorial, .passerelle, .tutorial, .tutorial, .passerelle, .tutorial]
        var members: [Int: RoomMember] = [:]
        for (index, dialect) in dialects.enumerated() {
            let id = index + 1
            _ = room.join(id, dialect: dialect, version: .rfc6455)
            members[id] = member(id, id % 2 == 0 ? second : first)
        }
        _ = room.leave(3)
        members[4] = nil   // a member the hub no longer holds is skipped
        let groups = LineGroup.grouping(room.members, as: members)
        #expect(groups.map { "\($0.loop === first ? "first" : "second") \($0.dialect)" }
                == ["first tutorial", "second passerelle", "first passerelle", "second tutorial"])
        #expect(groups.map { $0.members.map(\.id) } == [[1], [2], [5], [6]])
        let again = LineGroup.grouping(room.members, as: members.merging([4: member(4, second)]) { $1 })
        #expect(again.map { $0.members.map(\.id) } == [[1], [2], [4, 6], [5]])
    }
}
