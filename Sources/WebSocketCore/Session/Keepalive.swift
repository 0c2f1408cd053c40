/// When a quiet open connection is pinged or closed: the decision is a pure function of the
/// seconds since the peer last sent anything and the connection's framing, so the shell owns the
/// clock and the core owns the rule.
public struct KeepalivePolicy: Hashable, Sendable {
    /// RFC 6455 connections silent this long get a ping (RFC 6455 §5.5.2); 0 = never.
    public var pingAfter: Double
    /// RFC 6455 connections silent this long are closed (1001, going away); 0 = never.
    public var closeAfter: Double
    /// hixie connections have no ping (a hixie page cannot answer one): silent this long, they
    /// are closed; 0 = never.
    public var hixieCloseAfter: Double

    public init(pingAfter: Double = 0, closeAfter: Double = 0, hixieCloseAfter: Double = 0) {
        self.pingAfter = pingAfter
        self.closeAfter = closeAfter
        self.hixieCloseAfter = hixieCloseAfter
    }

    /// How often a shell should ask (`WebSocketSession.keepalive`): half the shortest delay that
    /// applies to this framing, nil when none does.
    public func tickInterval(for framing: ProtocolVersion.Framing) -> Double? {
        let delays = framing == .hixie ? [hixieCloseAfter] : [pingAfter, closeAfter]
        return delays.filter { $0 > 0 }.min().map { $0 / 2 }
    }
}

/// What a keepalive tick asks of the shell.
public enum KeepaliveAction {
    case none
    /// Write these bytes (a ping).
    case ping([UInt8])
    /// The idle timeout passed: the closing handshake has started (write `output`).
    case close(SessionOutput)
}
