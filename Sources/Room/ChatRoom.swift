import WebSocketCore

/// The room's rules, sans I/O: who is in, what each text frame means, who receives what. The
/// gateway runs one `ChatRoom` on one event loop, which gives every message one total order.
public struct ChatRoom {
    public typealias MemberID = Int

    public struct Member: Hashable, Sendable {
        public var id: MemberID
        public var dialect: ChatDialect
        public var version: ProtocolVersion
    }

    /// One text for one member.
    public struct Delivery: Hashable, Sendable {
        public var to: MemberID
        public var text: String
        public init(to: MemberID, text: String) {
            self.to = to
            self.text = text
        }
    }

    /// What the room did with one message, for the logs.
    public enum Note: Hashable, Sendable {
        case broadcast(ChatLine, sequence: UInt64, repaired: Bool)
        case dropped(reason: String)
    }

    /// The members in join order, with holes where members left (dropped by `compact()`), and
    /// each member's slot: joining, leaving and finding a message's sender take constant time
    /// whatever the room's size — a fleet of 100,000 joins in linear time, not quadratic.
    private var slots: [Member?] = []
    private var slotOf: [MemberID: Int] = [:]
    private var holes = 0
    /// The `passerelle` dialect members, in join order: presence goes to them alone, so a room of
    /// tutorial pages encodes no presence at all.
    private var richMembers: [MemberID] = []
    public private(set) var sequence: UInt64 = 0

    public init() {}

    public var count: Int { slotOf.count }

    /// Every member, in join order.
    public var members: [Member] { slots.compactMap { $0 } }

    public func member(_ id: MemberID) -> Member? {
        slotOf[id].flatMap { slots[$0] }
    }

    public mutating func join(_ id: MemberID, dialect: ChatDialect, version: ProtocolVersion) -> [Delivery] {
        if slotOf[id] != nil { _ = leave(id) }
        slotOf[id] = slots.count
        slots.append(Member(id: id, dialect: dialect, version: version))
        if dialect == .passerelle { richMembers.append(id) }
        return presence("join")
    }

    public mutating func leave(_ id: MemberID) -> [Delivery] {
        guard let slot = slotOf.removeValue(forKey: id), let member = slots[slot] else { return [] }
        slots[slot] = nil
        holes += 1
        if member.dialect == .passerelle { richMembers.removeAll { $0 == id } }
        if holes > 64 && holes * 2 > slots.count { compact() }
        return presence("leave")
    }

    /// Drops the holes once they are half the slots: each leave pays a constant share of it.
    private mutating func compact() {
        slots = slots.filter { $0 != nil }
        for (slot, member) in slots.enumerated() { slotOf[member!.id] = slot }
        holes = 0
    }

    /// What a member's message asks for, before anything is sent: a line to broadcast (which the
    /// gateway numbers here, or the cluster numbers across instances), or replies to the sender only.
    public enum Interpretation: Hashable, Sendable {
        case say(ChatLine, via: String, repaired: Bool)
        /// A `passerelle.chat.v1` member asks for stored lines (answered by the cluster, see `historyReply`).
        case history(after: UInt64, limit: Int)
        case refuse(replies: [Delivery], reason: String)
    }

    /// A message from a member, read against the room's protocol. Binary frames and unknown or
    /// malformed actions are refused, with an error reply to `passerelle` members only (a tutorial
    /// page would show it as a line).
    public func interpret(_ message: Message, from id: MemberID) -> Interpretation {
        guard let sender = member(id) else { return .refuse(replies: [], reason: "not a member") }
        let command: ChatCommand
        switch message {
        case .text(let text): command = ChatCommand.parse(text)
        case .binary: command = .malformed("binary frames are not part of the room protocol")
        }
        switch command {
        case .say(let line, let repaired):
            return .say(line, via: sender.version.rawValue, repaired: repaired)
        case .history(let after, let limit):
            // Never for tutorial pages: they would show old lines as new ones (SEED-CLIENT.md).
            guard sender.dialect == .passerelle else { return .refuse(replies: [], reason: "history asked by a tutorial-dialect member") }
            return .history(after: after, limit: limit)
        case .unknownAction(let action):
            return .refuse(replies: errorReply(to: sender, "unknown action \(action)"), reason: "unknown action \(action)")
        case .malformed(let why):
            return .refuse(replies: errorReply(to: sender, why), reason: why)
        }
    }

    /// A numbered line to every member (the sender included: the tutorial's page shows its own
    /// lines only through the echo), each in its dialect. `sequence` is the room's order: this
    /// room's own counter, or the cluster's per-room sequence when instances share the room.
    public func broadcast(_ line: ChatLine, sequence: UInt64, via: String) -> [Delivery] {
        let texts = Self.texts(of: line, sequence: sequence, via: via)
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(count)
        for case let member? in slots {
            deliveries.append(Delivery(to: member.id, text: texts.in(member.dialect)))
        }
        return deliveries
    }

    /// A numbered line as each dialect shows it: what `broadcast` hands every member of that dialect.
    public struct LineTexts: Sendable {
        public let tutorial: String
        public let passerelle: String

        public func `in`(_ dialect: ChatDialect) -> String { dialect == .tutorial ? tutorial : passerelle }
    }

    public static func texts(of line: ChatLine, sequence: UInt64, via: String) -> LineTexts {
        LineTexts(tutorial: ChatEncoding.tutorial(line), passerelle: ChatEncoding.passerelle(line, sequence: sequence, via: via))
    }

    /// What a member's message does on a single instance: a line numbered by this room for every
    /// member (`broadcast`, or `texts` for a shell that hands one text to many members at once),
    /// or replies to the sender alone.
    public enum Outcome: Hashable, Sendable {
        case line(ChatLine, sequence: UInt64, via: String, repaired: Bool)
        case replies([Delivery], reason: String)
    }

    public mutating func handle(_ message: Message, from id: MemberID) -> Outcome {
        switch interpret(message, from: id) {
        case .say(let line, let via, let repaired):
            sequence += 1
            return .line(line, sequence: sequence, via: via, repaired: repaired)
        case .history:
            return .replies(errorReply(to: id, "history is kept only by a cluster (--cluster)"), reason: "history without a cluster")
        case .refuse(let replies, let reason):
            return .replies(replies, reason: reason)
        }
    }

    /// A message from a member on a single instance: interpreted, numbered by this room, delivered.
    public mutating func receive(_ message: Message, from id: MemberID) -> (deliveries: [Delivery], note: Note) {
        switch handle(message, from: id) {
        case .line(let line, let sequence, let via, let repaired):
            return (broadcast(line, sequence: sequence, via: via), .broadcast(line, sequence: sequence, repaired: repaired))
        case .replies(let replies, let reason):
            return (replies, .dropped(reason: reason))
        }
    }

    /// Stored lines for one member, marked as history, then the end marker (sequence numbers let
    /// the client merge them with live lines that arrived meanwhile).
    public func historyReply(to id: MemberID, lines: [(line: ChatLine, sequence: UInt64, via: String)], after: UInt64) -> [Delivery] {
        guard let member = member(id), member.dialect == .passerelle else { return [] }
        return lines.map { Delivery(to: id, text: ChatEncoding.passerelle($0.line, sequence: $0.sequence, via: $0.via, history: true)) }
            + [Delivery(to: id, text: ChatEncoding.historyEnd(after: after, count: lines.count, through: lines.last?.sequence ?? after))]
    }

    /// An error reply to one member (`passerelle` dialect only).
    public func errorReply(to id: MemberID, _ reason: String) -> [Delivery] {
        member(id).map { errorReply(to: $0, reason) } ?? []
    }

    private func errorReply(to member: Member, _ reason: String) -> [Delivery] {
        member.dialect == .passerelle ? [Delivery(to: member.id, text: ChatEncoding.error(reason))] : []
    }

    private func presence(_ event: String) -> [Delivery] {
        guard !richMembers.isEmpty else { return [] }
        let text = ChatEncoding.presence(event: event, members: count)
        return richMembers.map { Delivery(to: $0, text: text) }
    }
}
