/// Storage a shell lends its connections to inflate the compressed messages they lend
/// (`receive(_:scratch:deliver:)`): one per thread, so that a compressed message costs no
/// allocation and no connection keeps an inflate buffer of its own while it is quiet.
public struct InflateScratch {
    var bytes: [UInt8] = []
    /// The most capacity kept between messages: a larger message's storage is freed after it.
    static let keptCapacity = 64 * 1024

    public init() {}

    /// Takes the storage for one message (`bytes` is empty between messages).
    mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// Gives it back once the message has been lent: emptied, its capacity kept when small.
    mutating func giveBack(_ used: inout [UInt8]) {
        used.removeAll(keepingCapacity: used.capacity <= Self.keptCapacity)
        swap(&bytes, &used)
    }
}
