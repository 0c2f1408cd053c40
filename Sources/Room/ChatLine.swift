/// One line of chat: who says what.
public struct ChatLine: Hashable, Sendable, Codable {
    public var from: String
    public var message: String

    public init(from: String, message: String) {
        self.from = from
        self.message = message
    }
}
