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

    public private(set) var members: [Member] = []
    public private(set) var sequence: UInt64 = 0

    public init() {}

    public var count: Int { members.count }

    public mutating func join(_ id: MemberID, dialect: ChatDialect, version: ProtocolVersion) -> [Delivery] {
        members.append(Member(id: id, dialect: dialect, version: version))
        return presence("join")
    }

    public mutating func leave(_ id: MemberID) -> [Delivery] {
        guard members.contains(where: { $0.id == id }) else { return [] }
        members.removeAll { $0.id == id }
        return presence("leave")
    }

    /// A message from a member: a chat line goes to every member (the sender included: the
    /// tutorial's page shows its own lines only through the echo); anything else is dropped,
    /// with an error reply to `passerelle` members only (a tutorial page would show it as a line).
    public mutating func receive(_ message: Message, from id: MemberID) -> (deliveries: [Delivery], note: Note) {
        guard let sender = members.first(where: { $0.id == id }) else { return ([], .dropped(reason: "not a member")) }
        let command: ChatCommand
        switch message {
        case .text(let text): command = ChatCommand.parse(text)
        case .binary: command = .malformed("binary frames are not part of the room protocol")
        }
        switch command {
        case .say(let line, let repaired):
            sequence += 1
            let tutorial = ChatEncoding.tutorial(line)
            let passerelle = ChatEncoding.passerelle(line, sequence: sequence, via: sender.version.rawValue)
            let deliveries = members.map { Delivery(to: $0.id, text: $0.dialect == .tutorial ? tutorial : passerelle) }
            return (deliveries, .broadcast(line, sequence: sequence, repaired: repaired))
        case .unknownAction(let action):
            return (errorReply(to: sender, "unknown action \(action)"), .dropped(reason: "unknown action \(action)"))
        case .malformed(let why):
            return (errorReply(to: sender, why), .dropped(reason: why))
        }
    }

    private func errorReply(to member: Member, _ reason: String) -> [Delivery] {
        member.dialect == .passerelle ? [Delivery(to: member.id, text: ChatEncoding.error(reason))] : []
    }

    private func presence(_ event: String) -> [Delivery] {
        let text = ChatEncoding.presence(event: event, members: members.count)
        return members.filter { $0.dialect == .passerelle }.map { Delivery(to: $0.id, text: text) }
    }
}
