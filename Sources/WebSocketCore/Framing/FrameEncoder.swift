/// Serialises RFC 6455 frames exactly as the header says — including illegal headers (a reserved
/// opcode, a non-minimal length, a length that lies about the payload), which the conformance
/// runner sends on purpose.
public enum FrameEncoder {
    public static func encode(_ header: FrameHeader, payload: some Collection<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.headerLength + payload.count)
        writeHeader(header, into: &bytes)
        let start = bytes.count
        bytes += payload
        if let key = header.maskingKey {
            // Masked where it lies: no copy of the payload on the side.
            bytes.withUnsafeMutableBufferPointer { frame in
                Masking.apply(key: key, to: UnsafeMutableBufferPointer(rebasing: frame[start...]))
            }
        }
        return bytes
    }

    /// The header's 2 to 14 bytes (§5.2), masking key included, exactly as `header` says.
    @inlinable
    public static func writeHeader(_ header: FrameHeader, into sink: inout some FrameSink) {
        var first = header.opcode.rawValue
        if header.fin { first |= 0x80 }
        if header.rsv1 { first |= 0x40 }
        if header.rsv2 { first |= 0x20 }
        if header.rsv3 { first |= 0x10 }
        // Built on the stack, written once.
        var bytes: (UInt64, UInt64) = (0, 0)
        let count = withUnsafeMutableBytes(of: &bytes) { out -> Int in
            out[0] = first
            let maskBit: UInt8 = header.maskingKey == nil ? 0 : 0x80
            let length = header.payloadLength
            var count = 2
            switch header.lengthEncoding {
            case .short:
                out[1] = maskBit | UInt8(truncatingIfNeeded: min(length, 125))
            case .extended16:
                out[1] = maskBit | 126
                out[2] = UInt8(truncatingIfNeeded: length >> 8)
                out[3] = UInt8(truncatingIfNeeded: length)
                count = 4
            case .extended64:
                out[1] = maskBit | 127
                for index in 0..<8 { out[2 + index] = UInt8(truncatingIfNeeded: length >> UInt64(56 - 8 * index)) }
                count = 10
            }
            if let key = header.maskingKey {
                for index in 0..<4 { out[count + index] = UInt8(truncatingIfNeeded: key >> UInt32(24 - 8 * index)) }
                count += 4
            }
            return count
        }
        withUnsafeBytes(of: &bytes) { sink.writeFrameBytes(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    /// An unmasked frame (a server's, §5.1) of `payload`, written into `sink`.
    @inlinable
    public static func write(opcode: Opcode, payload: some Collection<UInt8>, rsv1: Bool = false, into sink: inout some FrameSink) {
        let header = FrameHeader(fin: true, rsv1: rsv1, opcode: opcode, maskingKey: nil, payloadLength: UInt64(payload.count))
        sink.reserveFrameCapacity(header.headerLength + payload.count)
        writeHeader(header, into: &sink)
        sink.writeFramePayload(payload)
    }

    /// A legal frame: minimal length, the payload's real length.
    public static func frame(opcode: Opcode, payload: some Collection<UInt8>, fin: Bool = true,
                             rsv1: Bool = false, maskingKey: UInt32? = nil) -> [UInt8] {
        encode(FrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, maskingKey: maskingKey,
                           payloadLength: UInt64(payload.count)), payload: payload)
    }

    /// One unfragmented, uncompressed data message; a text is framed straight from its UTF-8,
    /// with no intermediate array (`Message.bytes` would make one).
    public static func frame(_ message: Message, maskingKey: UInt32? = nil) -> [UInt8] {
        switch message {
        case .text(let text): return frame(opcode: .text, payload: text.utf8, maskingKey: maskingKey)
        case .binary(let bytes): return frame(opcode: .binary, payload: bytes, maskingKey: maskingKey)
        }
    }

    /// A close frame payload: the code big-endian, then the UTF-8 reason (§5.5.1).
    public static func closePayload(code: CloseCode?, reason: String) -> [UInt8] {
        guard let code else { return [] }
        return [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + Array(reason.utf8)
    }
}
