import WebSocketCore

/// How one leg ended, and what the other leg is told (docs/bridge.md has it as a table).
///
/// The other leg never sees 1005, 1006 or 1015 (RFC 6455 §7.4.1: they stand for what happened,
/// they are not sent); a hixie leg gets its own closing handshake (`0xFF 0x00`, or the end of TCP
/// for hixie-75) whatever the code.
public enum LegEnding: Hashable, Sendable {
    /// The peer's closing handshake: an RFC 6455 close (code nil when it carried none) or
    /// hixie-76's `0xFF 0x00` (code nil).
    case closed(code: CloseCode?, reason: String, framing: ProtocolVersion.Framing)
    /// hixie-75 has no closing handshake: the end of TCP is its close.
    case hixie75Ended
    /// TCP ended without a closing handshake (RFC 6455 §7.1.5: 1006).
    case lost
    /// Passerelle failed the leg (a protocol violation or a limit), with the core's code there.
    case failed(WebSocketError)

    /// The close the other leg gets: a code and a reason for an RFC 6455 leg (`nil`: a close
    /// frame without a status code, as the peer sent it).
    public func closeForOtherLeg(endedLeg: Leg) -> (code: CloseCode?, reason: String) {
        switch self {
        case .closed(let code?, let reason, .rfc6455) where code.isValidOnWire:
            return (code, reason)   // RFC ↔ RFC: the code and reason end to end
        case .closed(nil, _, .rfc6455):
            return (nil, "")        // no status code on one side: none on the other
        case .closed:
            return (.normalClosure, "")   // hixie-76's 0xFF 0x00 is a normal closure
        case .hixie75Ended:
            return (.normalClosure, "")
        case .lost:
            // RFC 6455 §7.4.1 / IANA 1014: a gateway whose upstream failed says so; a client
            // that vanished is, for the backend, one going away.
            return endedLeg == .upstream ? (.badGateway, "upstream connection lost") : (.goingAway, "client connection lost")
        case .failed(let error):
            switch error {
            case .messageTooLarge, .frameTooLarge, .hixieFrameTooLarge:
                return (.messageTooBig, "message too big")
            default:
                return (.goingAway, endedLeg == .upstream ? "upstream broke the protocol" : "client broke the protocol")
            }
        }
    }
}
