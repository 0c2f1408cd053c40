import NIOCore
import Room

/// The members of one event loop that read one dialect, in join order.
struct LineGroup {
    let loop: EventLoop
    let dialect: ChatDialect
    var members: [RoomMember]

    /// `room`'s members (join order) grouped by loop and dialect, groups in order of first appearance.
    static func grouping(_ room: [ChatRoom.Member], as members: [Int: RoomMember]) -> [LineGroup] {
        var groups: [LineGroup] = []
        for roomMember in room {
            guard let member = members[roomMember.id] else { continue }
            if let index = groups.firstIndex(where: { $0.loop === member.eventLoop && $0.dialect == roomMember.dialect }) {
                groups[index].members.append(member)
            } else {
                groups.append(LineGroup(loop: member.eventLoop, dialect: roomMember.dialect, members: [member]))
            }
        }
        return groups
    }
}
