/// Builds pcapng bytes (sans I/O): a section header, one raw-IP interface with nanosecond
/// timestamps, and enhanced packet blocks. Readable by tshark and by `CaptureDecoder`.
public enum PcapngWriter {
    /// LINKTYPE_RAW: packets start with the IPv4 or IPv6 header.
    public static let linkTypeRaw: UInt16 = 101

    /// Section Header Block + Interface Description Block (if_tsresol = 9: nanoseconds).
    public static func header(application: String = "passerelle serve --record") -> [UInt8] {
        var shb: [UInt8] = le32(0x1A2B3C4D) + le16(1) + le16(0) + le64(UInt64.max)
        shb += option(4, Array(application.utf8)) + le16(0) + le16(0)   // shb_userappl, opt_endofopt
        var idb: [UInt8] = le16(linkTypeRaw) + le16(0) + le32(262_144)
        idb += option(9, [9]) + le16(0) + le16(0)
        return block(0x0A0D_0D0A, shb) + block(1, idb)
    }

    /// One Enhanced Packet Block on interface 0.
    public static func packet(timestampNanos: UInt64, data: [UInt8]) -> [UInt8] {
        block(6, le32(0) + le32(UInt32(timestampNanos >> 32)) + le32(UInt32(timestampNanos & 0xFFFF_FFFF))
              + le32(UInt32(data.count)) + le32(UInt32(data.count)) + data)
    }

    static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(padded.count + 12)
        return le32(type) + le32(length) + padded + le32(length)
    }

    static func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] {
        le16(code) + le16(UInt16(value.count)) + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
}

/// The IP/TCP packets of one recorded connection, synthesised from the bytes each side sent:
/// a three-way handshake, data segments with consistent sequence numbers and checksums, FINs.
public struct SyntheticTCPFlow {
    public let client: TCPSegment.Endpoint
    public let server: TCPSegment.Endpoint
    private var sequence: [Direction: UInt32] = [.c2s: 1_000, .s2c: 50_000]
    /// Largest TCP payload per synthesised segment (fits an IPv4 total length).
    public static let maxSegment = 60_000

    public init(client: TCPSegment.Endpoint, server: TCPSegment.Endpoint) {
        self.client = client
        self.server = server
    }

    public mutating func open() -> [[UInt8]] {
        let syn = packet(.c2s, flags: 0x02, sequence: sequence[.c2s]! &- 1, acknowledgment: 0, payload: [])
        let synAck = packet(.s2c, flags: 0x12, sequence: sequence[.s2c]! &- 1, acknowledgment: sequence[.c2s]!, payload: [])
        let ack = packet(.c2s, flags: 0x10, sequence: sequence[.c2s]!, acknowledgment: sequence[.s2c]!, payload: [])
        return [syn, synAck, ack]
    }

    public mutating func send(_ direction: Direction, _ bytes: [UInt8]) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + Self.maxSegment, bytes.count)
            let other: Direction = direction == .c2s ? .s2c : .c2s
            packets.append(packet(direction, flags: 0x18, sequence: sequence[direction]!, acknowledgment: sequence[other]!,
                                  payload: Array(bytes[start..<end])))
            sequence[direction] = sequence[direction]! &+ UInt32(end - start)
            start = end
        }
        return packets
    }

    public mutating func close() -> [[UInt8]] {
        let fin1 = packet(.s2c, flags: 0x11, sequence: sequence[.s2c]!, acknowledgment: sequence[.c2s]!, payload: [])
        let fin2 = packet(.c2s, flags: 0x11, sequence: sequence[.c2s]!, acknowledgment: sequence[.s2c]! &+ 1, payload: [])
        return [fin1, fin2]
    }

    private func packet(_ direction: Direction, flags: UInt8, sequence: UInt32, acknowledgment: UInt32, payload: [UInt8]) -> [UInt8] {
        let (source, destination) = direction == .c2s ? (client, server) : (server, client)
        var tcp: [UInt8] = be16(source.port) + be16(destination.port) + be32(sequence) + be32(acknowledgment)
        tcp += [5 << 4, flags] + be16(65_535) + [0, 0] + [0, 0] + payload
        let pseudo: [UInt8]
        if source.address.count == 4 {
            pseudo = source.address + destination.address + [0, 6] + be16(UInt16(tcp.count))
        } else {
            pseudo = source.address + destination.address + be32(UInt32(tcp.count)) + [0, 0, 0, 6]
        }
        let tcpChecksum = Self.checksum(pseudo + tcp)
        tcp[16] = UInt8(tcpChecksum >> 8)
        tcp[17] = UInt8(tcpChecksum & 0xFF)
        if source.address.count == 4 {
            var ip: [UInt8] = [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0] + source.address + destination.address
            let ipChecksum = Self.checksum(ip)
            ip[10] = UInt8(ipChecksum >> 8)
            ip[11] = UInt8(ipChecksum & 0xFF)
            return ip + tcp
        }
        return [0x60, 0, 0, 0] + be16(UInt16(tcp.count)) + [6, 64] + source.address + destination.address + tcp
    }

    /// RFC 1071 Internet checksum.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    private func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
