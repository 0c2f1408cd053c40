/// One live conversation decoded as it happens — a client's own connection, fed the bytes it
/// writes and reads — with the capture decoder's handshake reading and frame parsers, so that
/// `passerelle client --show-frames` prints what `passerelle decode` would print of a capture of it.
public struct LiveConnectionDecoder {
    private var session: SessionDecoder
    private var bytes: [Direction: Int] = [:]

    /// `client` and `server`: the connection's endpoints (IPv4 or IPv6 address bytes, port).
    public init(client: TCPSegment.Endpoint, server: TCPSegment.Endpoint, maxPayload: Int = 256) {
        session = SessionDecoder(id: 1, client: client, server: server, start: 0, maxPayload: maxPayload)
    }

    /// Bytes that went one way, `nanoseconds` after the connection started: the records they complete.
    public mutating func feed(_ bytes: [UInt8], direction: Direction, atNanoseconds nanoseconds: Int64) -> [DecodeRecord] {
        guard !bytes.isEmpty else { return [] }
        self.bytes[direction, default: 0] += bytes.count
        return session.feed(.data(bytes), direction: direction, at: nanoseconds)
    }

    /// The connection ended: a frame left open, and the summary.
    public mutating func finish(atNanoseconds nanoseconds: Int64) -> [DecodeRecord] {
        session.finish(at: nanoseconds, reassembly: [:]).map { record in
            guard case .summary(var summary) = record else { return record }
            for (direction, count) in bytes { summary.bytes[direction.rawValue] = count }
            return .summary(summary)
        }
    }
}
