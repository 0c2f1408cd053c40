/// A TCP segment out of a captured packet, with its endpoints.
public struct TCPSegment: Hashable, Sendable {
    public var source: Endpoint
    public var destination: Endpoint
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var syn: Bool
    public var ack: Bool
    public var fin: Bool
    public var rst: Bool
    public var payload: [UInt8]

    /// An IP address and TCP port, printed `1.2.3.4:80` or `[::1]:80`.
    public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var address: [UInt8]
        public var port: UInt16

        public init(address: [UInt8], port: UInt16) {
            self.address = address
            self.port = port
        }

        public var description: String {
            if address.count == 4 { return address.map { String($0) }.joined(separator: ".") + ":\(port)" }
            var groups: [String] = []
            for i in stride(from: 0, to: address.count, by: 2) {
                groups.append(String(UInt16(address[i]) << 8 | UInt16(address[i + 1]), radix: 16))
            }
            return "[" + compressIPv6(groups) + "]:\(port)"
        }

        public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
            lhs.address.lexicographicallyPrecedes(rhs.address) || (lhs.address == rhs.address && lhs.port < rhs.port)
        }

        /// RFC 5952: the longest run of zero groups becomes `::`.
        private func compressIPv6(_ groups: [String]) -> String {
            var best = (start: -1, length: 0), current = (start: -1, length: 0)
            for (i, group) in groups.enumerated() {
                if group == "0" {
                    current = current.start < 0 ? (i, 1) : (current.start, current.length + 1)
                    if current.length > best.length { best = current }
                } else {
                    current = (-1, 0)
                }
            }
            guard best.length >= 2 else { return groups.joined(separator: ":") }
            let head = groups[..<best.start].joined(separator: ":"), tail = groups[(best.start + best.length)...].joined(separator: ":")
            return head + "::" + tail
        }
    }
}

/// Link layer → IP → TCP, for the link types captures of WebSocket traffic use.
public enum PacketDecoder {
    /// Why a packet was not a TCP segment (reported in counts, not as errors).
    public enum Skip: String, Error, Hashable, Sendable {
        case unsupportedLinkType = "unsupported link type"
        case notIP = "not IPv4/IPv6"
        case notTCP = "not TCP"
        case fragment = "IP fragment"
        case truncated = "truncated packet"
    }

    public static let linkNull: UInt32 = 0, linkEthernet: UInt32 = 1, linkRaw: UInt32 = 101,
                      linkLinuxSLL: UInt32 = 113, linkLoop: UInt32 = 108, linkLinuxSLL2: UInt32 = 276,
                      linkIPv4: UInt32 = 228, linkIPv6: UInt32 = 229

    public static func segment(from packet: CapturedPacket) -> Result<TCPSegment, Skip> {
        let data = packet.data
        let ipStart: Int
        switch packet.linkType {
        case linkEthernet:
            guard data.count >= 14 else { return .failure(.truncated) }
            var offset = 12
            var etherType = UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
            while etherType == 0x8100 || etherType == 0x88A8 {    // 802.1Q / 802.1ad VLAN tags
                offset += 4
                guard data.count >= offset + 2 else { return .failure(.truncated) }
                etherType = UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
            }
            guard etherType == 0x0800 || etherType == 0x86DD else { return .failure(.notIP) }
            ipStart = offset + 2
        case linkLinuxSLL:
            guard data.count >= 16 else { return .failure(.truncated) }
            ipStart = 16
        case linkLinuxSLL2:
            guard data.count >= 20 else { return .failure(.truncated) }
            ipStart = 20
        case linkNull, linkLoop:
            guard data.count >= 4 else { return .failure(.truncated) }
            ipStart = 4   // address family in host order; the IP version nibble decides below
        case linkRaw, linkIPv4, linkIPv6, 12, 14:
            ipStart = 0
        default:
            return .failure(.unsupportedLinkType)
        }
        guard data.count > ipStart else { return .failure(.truncated) }
        return ip(data, from: ipStart)
    }

    private static func ip(_ data: [UInt8], from start: Int) -> Result<TCPSegment, Skip> {
        let version = data[start] >> 4
        var source: [UInt8], destination: [UInt8]
        var tcpStart: Int, end: Int
        switch version {
        case 4:
            guard data.count >= start + 20 else { return .failure(.truncated) }
            let headerLength = Int(data[start] & 0x0F) * 4
            let totalLength = Int(data[start + 2]) << 8 | Int(data[start + 3])
            let flagsFragment = UInt16(data[start + 6]) << 8 | UInt16(data[start + 7])
            guard flagsFragment & 0x3FFF == 0 else { return .failure(.fragment) }
            guard data[start + 9] == 6 else { return .failure(.notTCP) }
            source = Array(data[(start + 12)..<(start + 16)])
            destination = Array(data[(start + 16)..<(start + 20)])
            tcpStart = start + headerLength
            // TSO captures record 0 as the total length; trust the captured bytes then.
            end = totalLength == 0 ? data.count : min(data.count, start + totalLength)
        case 6:
            guard data.count >= start + 40 else { return .failure(.truncated) }
            let payloadLength = Int(data[start + 4]) << 8 | Int(data[start + 5])
            var next = data[start + 6]
            source = Array(data[(start + 8)..<(start + 24)])
            destination = Array(data[(start + 24)..<(start + 40)])
            tcpStart = start + 40
            end = payloadLength == 0 ? data.count : min(data.count, start + 40 + payloadLength)
            // Extension headers: hop-by-hop, routing, destination options; a fragment is skipped.
            while next == 0 || next == 43 || next == 60 || next == 44 {
                if next == 44 { return .failure(.fragment) }
                guard data.count >= tcpStart + 2 else { return .failure(.truncated) }
                next = data[tcpStart]
                tcpStart += (Int(data[tcpStart + 1]) + 1) * 8
            }
            guard next == 6 else { return .failure(.notTCP) }
        default:
            return .failure(.notIP)
        }
        guard end >= tcpStart + 20 else { return .failure(.truncated) }
        let t = tcpStart
        let dataOffset = Int(data[t + 12] >> 4) * 4
        guard dataOffset >= 20, t + dataOffset <= end else { return .failure(.truncated) }
        let flags = data[t + 13]
        func u32(_ at: Int) -> UInt32 { UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3]) }
        return .success(TCPSegment(
            source: .init(address: source, port: UInt16(data[t]) << 8 | UInt16(data[t + 1])),
            destination: .init(address: destination, port: UInt16(data[t + 2]) << 8 | UInt16(data[t + 3])),
            sequence: u32(t + 4), acknowledgment: u32(t + 8),
            syn: flags & 0x02 != 0, ack: flags & 0x10 != 0, fin: flags & 0x01 != 0, rst: flags & 0x04 != 0,
            payload: Array(data[(t + dataOffset)..<end])))
    }
}
