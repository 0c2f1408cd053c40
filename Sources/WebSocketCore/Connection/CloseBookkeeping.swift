/// What both framings keep about the close around each read: whether the peer closed, what it
/// sent after its close (nothing may follow it: RFC 6455 §5.5.1, hixie-76 §5.3), and whether the
/// last read closed an open connection after bringing messages — until the next call, `send`
/// still frames the answers to those messages, which the shell places before the close answer
/// (`ConnectionOutput.forEachInOrder`).
struct CloseBookkeeping {
    private(set) var closedByLastRead = false
    private(set) var bytesAfterClose = 0
    private var peerClosed = false

    /// A read begins: false when the connection is closed already (what arrived is only counted).
    mutating func readBegins(_ state: ConnectionState, incoming: Int) -> Bool {
        closedByLastRead = false
        guard state == .open || state == .closing else {
            if peerClosed { bytesAfterClose += incoming }
            return false
        }
        return true
    }

    /// The peer's close (or 0xFF 0x00) was read.
    mutating func peerClosedConnection() {
        peerClosed = true
    }

    /// A read ends: what is left in `buffer` after the peer's close is counted and dropped.
    mutating func readEnds(wasOpen: Bool, _ state: ConnectionState, messages: Int, buffer: inout ByteQueue) {
        closedByLastRead = wasOpen && state == .closed && messages > 0
        if peerClosed && !buffer.isEmpty {
            bytesAfterClose += buffer.count
            buffer = ByteQueue()
        }
    }

    /// This side acts (close, fail): the answers of the last read are past.
    mutating func localAction() {
        closedByLastRead = false
    }
}
