import Cluster
import Logging
import NIOCore
import Room
import Synchronization
import WebSocketCore

/// One member as the hub sees it: where it lives and how to hand it a line. A class: a line of a
/// 1,000-member room copies each member into its loop's batch, one retain instead of three.
final class RoomMember: Sendable {
    let id: Int
    let eventLoop: EventLoop
    /// Queues one line for this member (its shared encoding, or its own); called on `eventLoop`.
    let deliver: @Sendable (PreparedLine) -> Void
    /// Closes this member with its closing handshake (called from any thread).
    let close: @Sendable (GatewayError) -> Void

    init(id: Int, eventLoop: EventLoop, deliver: @escaping @Sendable (PreparedLine) -> Void,
         close: @escaping @Sendable (GatewayError) -> Void) {
        self.id = id
        self.eventLoop = eventLoop
        self.deliver = deliver
        self.close = close
    }
}

/// Runs the `ChatRoom` on one event loop: every message passes through it in one order, and
/// each member receives its deliveries in that order (a member's loop runs tasks FIFO).
///
/// With a cluster, the order is the cluster's: a member's line goes to PostgreSQL first and is
/// delivered here, like every other instance's lines, when the cluster link releases it in the
/// room's sequence order (`clusterDelivered`).
final class RoomHub: @unchecked Sendable {
    // All state below is touched only on `loop`.
    let loop: EventLoop
    private var room = ChatRoom()
    private var members: [Int: RoomMember] = [:]
    /// Every member grouped by event loop and dialect, in join order: a line goes to each group in
    /// one task, with no per-member lookup or delivery record. Built at the first line after a
    /// join or leave, so a room whose members stay put reuses it line after line.
    private var lineGroups: [LineGroup]?
    private let logger: Logger
    /// Members right now, readable from any thread (`/metrics`).
    private let memberGauge = Atomic<Int>(0)
    /// Set once, before the server accepts connections.
    private(set) var cluster: PostgresRoomLink?

    init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    /// Shares this room through the cluster: from now on lines are numbered by the cluster.
    func attach(_ link: PostgresRoomLink) {
        cluster = link
    }

    /// The cluster link's ordered records (called in sequence order, from one task at a time).
    func clusterDelivered(_ records: [ClusterRecord]) {
        loop.execute {
            for record in records {
                self.broadcast(ChatRoom.texts(of: record.line, sequence: UInt64(record.sequence), via: record.via))
            }
        }
    }

    func join(_ member: RoomMember, dialect: ChatDialect, version: ProtocolVersion) {
        loop.execute {
            self.members[member.id] = member
            self.lineGroups = nil
            self.dispatch(self.room.join(member.id, dialect: dialect, version: version))
            self.memberGauge.store(self.room.count, ordering: .relaxed)
        }
    }

    func leave(_ id: Int) {
        loop.execute {
            self.dispatch(self.room.leave(id))
            self.members.removeValue(forKey: id)
            self.lineGroups = nil
            self.memberGauge.store(self.room.count, ordering: .relaxed)
        }
    }

    func receive(_ message: Message, from id: Int) {
        loop.execute {
            if let cluster = self.cluster {
                self.publish(message, from: id, through: cluster)
                return
            }
            switch self.room.handle(message, from: id) {
            case .line(let line, let sequence, let via, let repaired):
                self.logger.debug("chat line", metadata: ["from": "\(id)", "seq": "\(sequence)", "repaired": "\(repaired)",
                                                          "bytes": "\(line.message.utf8.count)"])
                if line.message == "demo.stop" {
                    self.logger.notice("demo.stop received: broadcast as a line, the server keeps running", metadata: ["from": "\(id)"])
                }
                self.broadcast(ChatRoom.texts(of: line, sequence: sequence, via: via))
            case .replies(let replies, let reason):
                self.logger.info("message dropped", metadata: ["from": "\(id)", "reason": "\(reason)"])
                self.dispatch(replies)
            }
        }
    }

    /// One line to every member (ChatRoom.broadcast's rule: each in its dialect), one task per
    /// event loop and dialect.
    private func broadcast(_ texts: ChatRoom.LineTexts) {
        if lineGroups == nil { lineGroups = LineGroup.grouping(room.members, as: members) }
        for group in lineGroups! {
            let (text, recipients) = (texts.in(group.dialect), group.members)
            group.loop.execute {
                let line = PreparedLine(text: text)
                for member in recipients { member.deliver(line) }
            }
        }
    }

    /// Cluster mode: the line goes to the cluster's outbox; it comes back, numbered, through
    /// `clusterDelivered`. A full outbox (database away too long) closes the speaker with 1013.
    private func publish(_ message: Message, from id: Int, through cluster: PostgresRoomLink) {
        switch room.interpret(message, from: id) {
        case .say(let line, let via, _):
            guard cluster.publish(line, via: via) else {
                logger.warning("cluster outbox full: member asked to come back", metadata: ["from": "\(id)", "limit": "\(cluster.settings.outboxLimit)"])
                members[id]?.close(.roomBacklogFull(limit: cluster.settings.outboxLimit))
                return
            }
        case .history(let after, let limit):
            Task {
                let reply: Result<[ClusterRecord]?, any Error>
                do { reply = .success(try await cluster.history(after: Int64(clamping: after), limit: limit)) } catch { reply = .failure(error) }
                self.loop.execute { self.answerHistory(reply, to: id, after: after) }
            }
        case .refuse(let replies, let reason):
            logger.info("message dropped", metadata: ["from": "\(id)", "reason": "\(reason)"])
            dispatch(replies)
        }
    }

    private func answerHistory(_ reply: Result<[ClusterRecord]?, any Error>, to id: Int, after: UInt64) {
        switch reply {
        case .success(let records?):
            dispatch(room.historyReply(to: id, lines: records.map { ($0.line, UInt64($0.sequence), $0.via) }, after: after))
        case .success(nil):
            dispatch(room.errorReply(to: id, "history busy, ask again"))
        case .failure(let error):
            logger.warning("history read failed", metadata: ["from": "\(id)", "error": "\(error)"])
            dispatch(room.errorReply(to: id, "history unavailable: cluster database unreachable"))
        }
    }

    /// Members in the room, as of the hub's last join or leave (any thread).
    var currentMemberCount: Int { memberGauge.load(ordering: .relaxed) }

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
            // Consecutive deliveries mostly share their batch (same text, same loop): look there first.
            if let last = batches.indices.last, batches[last].loop === member.eventLoop, batches[last].text == delivery.text {
                batches[last].members.append(member)
            } else if let index = batches.firstIndex(where: { $0.loop === member.eventLoop && $0.text == delivery.text }) {
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
