/// How a member speaks the room's protocol.
public enum ChatDialect: String, Hashable, Sendable {
    /// The 2011 tutorial's page: it treats *every* text frame as a chat line and renders it with
    /// innerHTML. It receives only `ws/chat/in` lines, with `from` and `message` HTML-escaped so
    /// one member cannot run script in every tutorial page.
    case tutorial
    /// Clients that offer the subprotocol `passerelle.chat.v1`: chat lines as sent (raw text, to
    /// be rendered as text), with a sequence number and the sender's protocol, plus presence
    /// notices and error replies.
    case passerelle

    /// The subprotocol that selects `.passerelle`.
    public static let passerelleSubprotocol = "passerelle.chat.v1"

    public init(subprotocol: String?) {
        self = subprotocol == Self.passerelleSubprotocol ? .passerelle : .tutorial
    }
}
