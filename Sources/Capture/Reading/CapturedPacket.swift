/// One packet as a capture file recorded it.
public struct CapturedPacket: Hashable, Sendable {
    /// Nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// LINKTYPE_* of the interface it was captured on.
    public var linkType: UInt32
    public var interface: Int
    /// The captured bytes (possibly cut at the snap length).
    public var data: [UInt8]
    /// The packet's length on the wire.
    public var originalLength: Int
}

/// Why a capture file cannot be read.
public enum CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    case notACaptureFile
    case truncated(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .notACaptureFile: return "not a pcap or pcapng file (unknown magic number)"
        case .truncated(let what): return "file ends inside \(what)"
        case .malformed(let what): return "malformed capture: \(what)"
        }
    }
}
