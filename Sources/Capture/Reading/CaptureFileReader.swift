import WebSocketCore

/// Incremental reader of pcap and pcapng files: bytes in (any chunking), packets out, so a 1 GB
/// capture is read in bounded memory.
///
/// - pcap: magic `a1b2c3d4` (µs) or `a1b23c4d` (ns), in either byte order.
/// - pcapng: Section Header (either byte order), Interface Description (link type, `if_tsresol`),
///   Enhanced and Simple Packet Blocks, Decryption Secrets Blocks (TLS key logs); other blocks are
///   skipped. Several interfaces and sections.
public struct CaptureFileReader {
    public enum Format: String, Sendable { case pcap, pcapng }

    private var buffer = ByteQueue()
    public private(set) var format: Format?
    private var bigEndian = false
    // pcap
    private var pcapLinkType: UInt32 = 0
    private var pcapNanoseconds = false
    // pcapng
    private struct Interface { var linkType: UInt32; var unitsPerSecond: UInt64 }
    private var interfaces: [Interface] = []
    private var decryptionSecrets: [[UInt8]] = []
    /// Largest block or record accepted (a corrupt length must not make the reader wait for GBs).
    public let maxRecordSize: Int

    public init(maxRecordSize: Int = 64 << 20) {
        self.maxRecordSize = maxRecordSize
    }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The TLS key logs of the Decryption Secrets Blocks read since the last call.
    public mutating func takeDecryptionSecrets() -> [[UInt8]] {
        defer { decryptionSecrets = [] }
        return decryptionSecrets
    }

    /// Bytes received but not yet part of a complete record (non-zero at end of file = truncated).
    public var pendingBytes: Int { buffer.count }

    /// The next packet, or nil when more bytes are needed.
    public mutating func next() throws(CaptureError) -> CapturedPacket? {
        if format == nil {
            guard buffer.count >= 24 else { return nil }
            try readFileHeader()
        }
        switch format! {
        case .pcap: return try nextPcapRecord()
        case .pcapng: return try nextPcapngPacket()
        }
    }

    // MARK: Integers

    private func u16(_ at: Int) -> UInt16 {
        let a = UInt16(buffer[at]), b = UInt16(buffer[at + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    private func u32(_ at: Int) -> UInt32 {
        let bytes = (0..<4).map { UInt32(buffer[at + $0]) }
        return bigEndian ? bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]
                         : bytes[3] << 24 | bytes[2] << 16 | bytes[1] << 8 | bytes[0]
    }

    // MARK: pcap

    private mutating func readFileHeader() throws(CaptureError) {
        let magic = [buffer[0], buffer[1], buffer[2], buffer[3]]
        switch magic {
        case [0xA1, 0xB2, 0xC3, 0xD4]: format = .pcap; bigEndian = true
        case [0xD4, 0xC3, 0xB2, 0xA1]: format = .pcap; bigEndian = false
        case [0xA1, 0xB2, 0x3C, 0x4D]: format = .pcap; bigEndian = true; pcapNanoseconds = true
        case [0x4D, 0x3C, 0xB2, 0xA1]: format = .pcap; bigEndian = false; pcapNanoseconds = true
        case [0x0A, 0x0D, 0x0D, 0x0A]: format = .pcapng; return   // the SHB is read as a block
        default: throw .notACaptureFile
        }
        pcapLinkType = u32(20) & 0x0FFF_FFFF
        buffer.consume(24)
    }

    private mutating func nextPcapRecord() throws(CaptureError) -> CapturedPacket? {
        guard buffer.count >= 16 else { return nil }
        let seconds = Int64(u32(0)), fraction = Int64(u32(4))
        let captured = Int(u32(8)), original = Int(u32(12))
        guard captured <= maxRecordSize else { throw .malformed("record of \(captured) bytes") }
        guard buffer.count >= 16 + captured else { return nil }
        buffer.consume(16)
        let data = Array(buffer.consume(captured))
        let nanos = seconds * 1_000_000_000 + (pcapNanoseconds ? fraction : fraction * 1000)
        return CapturedPacket(timestamp: nanos, linkType: pcapLinkType, interface: 0, data: data, originalLength: original)
    }

    // MARK: pcapng

    private mutating func nextPcapngPacket() throws(CaptureError) -> CapturedPacket? {
        while true {
            guard buffer.count >= 12 else { return nil }
            let isSectionHeader = buffer[0] == 0x0A && buffer[1] == 0x0D && buffer[2] == 0x0D && buffer[3] == 0x0A
            if isSectionHeader {
                // The byte-order magic decides how this section's integers read.
                let magic = [buffer[8], buffer[9], buffer[10], buffer[11]]
                switch magic {
                case [0x1A, 0x2B, 0x3C, 0x4D]: bigEndian = true
                case [0x4D, 0x3C, 0x2B, 0x1A]: bigEndian = false
                default: throw .malformed("section header byte-order magic")
                }
                interfaces = []
            }
            let type = u32(0)
            let length = Int(u32(4))
            guard length >= 12, length % 4 == 0, length <= maxRecordSize else { throw .malformed("block of \(length) bytes") }
            guard buffer.count >= length else { return nil }
            let body = Array(buffer.consume(length)[...].dropFirst(8).dropLast(4))
            switch type {
            case 0x0000_0001:   // Interface Description Block
                try readInterface(body)
            case 0x0000_0006:   // Enhanced Packet Block
                guard body.count >= 20 else { throw .malformed("enhanced packet block") }
                let interface = Int(read32(body, 0))
                guard interface < interfaces.count else { throw .malformed("packet on undeclared interface \(interface)") }
                let units = UInt64(read32(body, 4)) << 32 | UInt64(read32(body, 8))
                let captured = Int(read32(body, 12)), original = Int(read32(body, 16))
                guard 20 + captured <= body.count else { throw .malformed("packet data past its block") }
                let info = interfaces[interface]
                let nanos = Self.nanoseconds(units, unitsPerSecond: info.unitsPerSecond)
                return CapturedPacket(timestamp: nanos, linkType: info.linkType, interface: interface,
                                      data: Array(body[20..<(20 + captured)]), originalLength: original)
            case 0x0000_0003:   // Simple Packet Block: interface 0, no timestamp
                guard body.count >= 4, let info = interfaces.first else { throw .malformed("simple packet block") }
                let original = Int(read32(body, 0))
                let captured = min(original, body.count - 4)
                return CapturedPacket(timestamp: 0, linkType: info.linkType, interface: 0,
                                      data: Array(body[4..<(4 + captured)]), originalLength: original)
            case 0x0000_000A:   // Decryption Secrets Block: type, length, secrets
                guard body.count >= 8 else { throw .malformed("decryption secrets block") }
                let length = Int(read32(body, 4))
                guard 8 + length <= body.count else { throw .malformed("secrets past their block") }
                // 'TLSK': an NSS key log; other secret types (WireGuard, ZigBee…) do not concern WebSocket.
                if read32(body, 0) == 0x544C_534B { decryptionSecrets.append(Array(body[8..<(8 + length)])) }
            default:
                continue   // SHB (handled above), name resolution, statistics, custom blocks…
            }
        }
    }

    private func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        let b = (0..<4).map { UInt32(bytes[at + $0]) }
        return bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
    }

    private func read16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        bigEndian ? UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) : UInt16(bytes[at + 1]) << 8 | UInt16(bytes[at])
    }

    /// Timestamp units → nanoseconds since the epoch, saturating: a corrupt block can hold any
    /// count, and a quotient that does not fit 64 bits would trap (found by FuzzCapture).
    public static func nanoseconds(_ units: UInt64, unitsPerSecond: UInt64) -> Int64 {
        guard unitsPerSecond > 0 else { return 0 }
        let product = units.multipliedFullWidth(by: 1_000_000_000)
        guard product.high < unitsPerSecond else { return Int64.max }
        let quotient = unitsPerSecond.dividingFullWidth(product).quotient
        return quotient > UInt64(Int64.max) ? Int64.max : Int64(quotient)
    }

    private mutating func readInterface(_ body: [UInt8]) throws(CaptureError) {
        guard body.count >= 8 else { throw .malformed("interface description block") }
        var interface = Interface(linkType: UInt32(read16(body, 0)), unitsPerSecond: 1_000_000)
        var offset = 8
        // Options: code, length, value padded to 4; if_tsresol (9) sets the timestamp unit.
        while offset + 4 <= body.count {
            let code = read16(body, offset), length = Int(read16(body, offset + 2))
            if code == 0 { break }
            if code == 9, length >= 1, offset + 4 < body.count {
                let resolution = body[offset + 4]
                let exponent = UInt64(resolution & 0x7F)
                // Units finer than what 64 bits count are a corrupt file, not a clock (found by FuzzCapture).
                let base2 = resolution & 0x80 != 0
                guard exponent <= (base2 ? 63 : 19) else { throw .malformed("if_tsresol \(resolution)") }
                interface.unitsPerSecond = base2 ? 1 << exponent : (0..<exponent).reduce(1) { acc, _ in acc * 10 }
            }
            offset += 4 + (length + 3) / 4 * 4
        }
        interfaces.append(interface)
    }
}
