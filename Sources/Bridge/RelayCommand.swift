import WebSocketCore

/// What the relay asks the shell to do, in order.
public enum RelayCommand: Hashable, Sendable {
    /// Send the message on the leg (framed, masked and compressed as that leg agreed).
    case send(Message, to: Leg)
    /// Start the closing handshake on the leg: an RFC 6455 close frame with `code` (nil: without
    /// a status code), hixie-76's `0xFF 0x00`, or the end of TCP for hixie-75.
    case close(Leg, code: CloseCode?, reason: String)
    /// Stop reading from the leg: what it sends cannot reach the other leg fast enough.
    case pauseReading(Leg)
    /// Read from the leg again: the other leg took enough of what waited.
    case resumeReading(Leg)
    /// A message that was not relayed: the route's policy (`binary=drop`), or the leg it was for
    /// is closing. Counted and logged by the shell, never silent.
    case dropped(from: Leg, bytes: Int, reason: String)
}
