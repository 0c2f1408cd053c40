import NIOCore

/// What a `GatewayConnection` asks its socket for.
enum ConnectionAction {
    case none
    case write([UInt8])
    case writeBuffer(ByteBuffer)
    /// The connection's last bytes (an HTTP answer, a close frame), then TCP closed in stages.
    case writeAndClose([UInt8])
    /// Our close is written: TCP is dropped when the peer answers or `timeout` seconds pass.
    case closingHandshake([UInt8], timeout: Double)
    /// A peer that does not read: the bytes go if its socket takes them, and TCP is closed now.
    case abandon([UInt8])
    /// TCP closed now, whatever is waiting (a handshake that never finished).
    case closeTransport
}
