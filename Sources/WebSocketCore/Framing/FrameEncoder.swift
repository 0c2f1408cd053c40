/// Serialises RFC 6455 frames exactly as the header says — including illegal headers (a reserved
/// opcode, a non-minimal length, a length that lies about the payload), which the conformance
/// runner sends on purpose.
public enum FrameEncoder {
    public static func encode(_ header: FrameHeader, payload: some Collection<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.headerLength + payload.count)
        var first = header.opcode.rawValue
        if header.fin { first |= 0x80 }
        if header.rsv1 { first |= 0x40 }
        if header.rsv2 { first |= 0x20 }
        if header.rsv3 { first |= 0x10 }
        bytes.append(first)
        let maskBit: UInt8 = header.maskingKey == nil ? 0 : 0x80
        let length = header.payloadLength
        switch header.lengthEncoding {
        case .short:
            bytes.append(maskBit | UInt8(truncatingIfNeeded: min(length, 125)))
        case .extended16:
            bytes.append(maskBit | 126)
            bytes.append(UInt8(truncatingIfNeeded: length >> 8))
            bytes.append(UInt8(truncatingIfNeeded: length))
        case .extended64:
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
        if let key = header.maskingKey {
            bytes += [UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)]
            let start = bytes.count
            bytes += payload
            // Masked where it lies: no copy of the payload on the side.
            bytes.withUnsafeMutableBufferPointer { frame in
                Masking.apply(key: key, to: UnsafeMutableBufferPointer(rebasing: frame[start...]))
            }
        } else {
            bytes += payload
        }
        return bytes
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
