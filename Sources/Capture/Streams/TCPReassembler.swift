/// Reassembles one direction of a TCP connection: out-of-order segments are held, retransmissions
/// and overlaps trimmed, and missing data is reported as a gap of known size — never guessed.
public struct TCPReassembler: Sendable {
    public enum Chunk: Hashable, Sendable {
        case data([UInt8])
        /// `bytes` were never captured; the stream resumes after them.
        case gap(bytes: Int)
    }

    /// The next sequence number expected; nil until the first segment (or SYN) is seen.
    public private(set) var nextSequence: UInt32?
    /// True when the capture started after this direction's SYN.
    public private(set) var startedMidStream = false
    public private(set) var retransmittedBytes = 0
    public private(set) var missingBytes = 0
    private var pending: [UInt32: [UInt8]] = [:]
    private var pendingBytes = 0
    /// When (capture time, ns) the bytes held now started to be held: nil while nothing is.
    public private(set) var holdingSince: Int64?
    /// Out-of-order bytes held before the missing data is declared lost.
    public let maxPendingBytes: Int

    public init(maxPendingBytes: Int = 4 << 20) {
        self.maxPendingBytes = maxPendingBytes
    }

    /// Signed distance from the expected sequence number, modulo 2^32 (RFC 9293 §3.4).
    private func offset(of sequence: UInt32) -> Int {
        Int(Int32(bitPattern: sequence &- (nextSequence ?? sequence)))
    }

    /// `timestamp`: the segment's capture time, which `releaseHeld(before:)` measures holds by.
    public mutating func accept(sequence: UInt32, syn: Bool, payload: [UInt8], at timestamp: Int64 = 0) -> [Chunk] {
        var sequence = sequence
        if syn {
            if nextSequence == nil { nextSequence = sequence &+ 1 }
            sequence = sequence &+ 1
            if payload.isEmpty { return [] }
        }
        if nextSequence == nil {
            nextSequence = sequence
            startedMidStream = true
        }
        guard !payload.isEmpty else { return [] }
        var chunks: [Chunk] = []
        let distance = offset(of: sequence)
        if distance + payload.count <= 0 {
            retransmittedBytes += payload.count
            return []
        }
        if distance > 0 {
            if pending.isEmpty { holdingSince = timestamp }
            if (pending[sequence]?.count ?? 0) < payload.count {
                pendingBytes += payload.count - (pending[sequence]?.count ?? 0)
                pending[sequence] = payload
            } else {
                retransmittedBytes += payload.count
            }
            if pendingBytes > maxPendingBytes { chunks += skipToPending() }
            return chunks
        }
        let fresh = Array(payload.dropFirst(-distance))
        retransmittedBytes += -distance
        chunks.append(.data(fresh))
        nextSequence = nextSequence! &+ UInt32(fresh.count)
        chunks += drainPending()
        return chunks
    }

    /// End of capture (or FIN): whatever is held goes out, with the gaps before it.
    public mutating func flush() -> [Chunk] {
        var chunks: [Chunk] = []
        while !pending.isEmpty { chunks += skipToPending() }
        return chunks
    }

    /// A live capture: bytes held since before `deadline` go out, the missing ones before them
    /// declared lost — a segment that a capture dropped never comes (a retransmission later than
    /// this is then counted as retransmitted, its bytes as missing).
    public mutating func releaseHeld(before deadline: Int64) -> [Chunk] {
        guard let since = holdingSince, since < deadline else { return [] }
        return flush()
    }

    private mutating func drainPending() -> [Chunk] {
        var chunks: [Chunk] = []
        while let (sequence, bytes) = pending.min(by: { offset(of: $0.key) < offset(of: $1.key) }), offset(of: sequence) <= 0 {
            pending.removeValue(forKey: sequence)
            pendingBytes -= bytes.count
            let distance = offset(of: sequence)
            if distance + bytes.count <= 0 { retransmittedBytes += bytes.count; continue }
            let fresh = Array(bytes.dropFirst(-distance))
            retransmittedBytes += -distance   // the overlap with what was already delivered
            chunks.append(.data(fresh))
            nextSequence = nextSequence! &+ UInt32(fresh.count)
        }
        if pending.isEmpty { holdingSince = nil }
        return chunks
    }

    /// Declares the bytes before the earliest held segment lost, and resumes there.
    private mutating func skipToPending() -> [Chunk] {
        guard let earliest = pending.keys.min(by: { offset(of: $0) < offset(of: $1) }) else { return [] }
        let missing = offset(of: earliest)
        var chunks: [Chunk] = []
        if missing > 0 {
            missingBytes += missing
            chunks.append(.gap(bytes: missing))
            nextSequence = earliest
        }
        return chunks + drainPending()
    }
}
