import Bridge
import WebSocketCore

/// The client's side of a bridged pair, as the pair drives it: the client's connection (the
/// gateway's channel handler) answers the handshake, frames messages through its own session and
/// owns its socket; the pair decides when.
protocol BridgeClientLeg: AnyObject {
    /// The backend accepted: the client's handshake is answered with the backend's subprotocol,
    /// then what the client sent after its request reaches the pair (`received`).
    func backendAccepted(_ answer: AcceptedClientHandshake, target: RouteTarget)
    /// No backend accepted: the client gets `failure.downstreamStatus` (RFC 6455) or a dropped
    /// connection (hixie, which has no status to give).
    func backendFailed(_ failure: UpstreamFailure, target: RouteTarget)
    /// One message from the backend, framed for the client.
    func send(_ message: Message)
    /// The client's closing handshake (`code: nil`: a close frame without a status code).
    func close(code: CloseCode?, reason: String)
    /// Pauses or resumes reading from the client's socket.
    func setReading(_ reading: Bool)
}
