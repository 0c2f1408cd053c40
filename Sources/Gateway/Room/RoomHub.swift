import Logging
import NIOCore
import Room
import WebSocketCore

/// One member as the hub sees it: where it lives and how to hand it a line.
struct RoomMember: Sendable {
    let id: Int
    let eventLoop: EventLoop
    /// Queues one line for this member (its shared encoding, or its own); called on `eventLoop`.
    let deliver: @Sendable (PreparedLine) -> Void
}

/// Runs the `ChatRoom` on one event loop: every message passes through it in one order, and
/// each member receives its deliveries in that order (a member's loop runs tasks FIFO).
final class RoomHub: @unchecked Sendable {
    // All state below is touched only on `loop`.
    let loop: EventLoop
    private var room = ChatRoom()
    private var members: [Int: RoomMember] = [:]
    private let logger: Logger

    init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    func join(_ member: RoomMember, dialect: ChatDialect, version: ProtocolVersion) {
        loop.execute {
            self.members[member.id] = member
            self.dispatch(self.room.join(member.id, dialect: dialect, version: version))
        }
    }

    func leave(_ id: Int) {
        loop.execute {
            self.dispatch(self.room.leave(id))
            self.members.removeValue(forKey: id)
        }
    }

    func receive(_ message: Message, from id: Int) {
        loop.execute {
            let (deliveries, note) = self.room.receive(message, from: id)
            switch note {
            case .broadcast(let line, let sequence, let repaired):
                self.logger.debug("chat line", metadata: ["from": "\(id)", "seq": "\(sequence)", "repaired": "\(repaired)",
                                                          "bytes": "\(line.message.utf8.count)"])
                if line.message == "demo.stop" {
                    self.logger.notice("demo.stop received: broadcast as a line, the server keeps running", metadata: ["from": "\(id)"])
                }
            case .dropped(let reason):
                self.logger.info("message dropped", metadata: ["from": "\(id)", "reason": "\(reason)"])
            }
            self.dispatch(deliveries)
        }
    }

    /// Members currently in the room (for tests and logs); completes on the hub's loop.
    func memberCount() -> EventLoopFuture<Int> {
        loop.submit { self.room.count }
    }

    /// One task per (line, event loop) rather than per member: the line is encoded there once per
    /// encoding and the same bytes queued for each member of that loop, in the room's order.
    private func dispatch(_ deliveries: [ChatRoom.Delivery]) {
        var batches: [(text: String, loop: EventLoop, members: [RoomMember])] = []
        for delivery in deliveries {
            guard let member = members[delivery.to] else { continue }
            if let index = batches.firstIndex(where: { $0.loop === member.eventLoop && $0.text == delivery.text }) {
                batches[index].members.append(member)
            } else {
                batches.append((delivery.text, member.eventLoop, [member]))
            }
        }
        for batch in batches {
            let (text, recipients) = (batch.text, batch.members)
            batch.loop.execute {
                let line = PreparedLine(text: text)
                for member in recipients { member.deliver(line) }
            }
        }
    }
}
