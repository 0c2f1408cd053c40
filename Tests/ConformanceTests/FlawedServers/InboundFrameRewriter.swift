import WebSocketCore

/// Rewrites a client's frames before the core connection reads them, so that one rule the core
/// enforces is bypassed (a flaw) while everything else stays the core's correct behaviour.
///
/// It re-parses with the core's `FrameParser` and re-encodes each header with a zero masking key
/// (XOR with zero leaves the already-unmasked payload as it is), so payload chunks stream through
/// unchanged and fail-fast behaviour is kept. Close frames are held to their end, as their code
/// may be rewritten.
struct InboundFrameRewriter {
    let flaw: Flaw
    private var parser = FrameParser()
    private var buffer = ByteQueue()
    private var heldClose: (header: FrameHeader, payload: [UInt8])?
    /// Whether each data message started as text (for `skipsUTF8Validation`, which hands text
    /// to the core as binary and must send the echo back as text).
    private(set) var startedAsText: [Bool] = []

    init(flaw: Flaw) { self.flaw = flaw }

    mutating func rewrite(_ bytes: some Collection<UInt8>) throws(WebSocketError) -> [UInt8] {
        buffer.append(contentsOf: bytes)
        var output: [UInt8] = []
        while let event = try parser.next(&buffer) {
            switch event {
            case .header(var header):
                if flaw == .skipsUTF8Validation, header.opcode == .text || header.opcode == .binary {
                    startedAsText.append(header.opcode == .text)
                    if header.opcode == .text { header.opcode = .binary }
                }
                if flaw == .acceptsUnmaskedFrames || header.maskingKey != nil { header.maskingKey = 0 }
                if flaw == .acceptsInvalidCloseCodes, header.opcode == .close, header.maskingKey != nil, header.payloadLength <= 125 {
                    heldClose = (header, [])
                } else {
                    output += FrameEncoder.encode(header, payload: [UInt8]())
                }
            case .payload(let chunk):
                if heldClose != nil { heldClose!.payload += chunk } else { output += chunk }
            case .frameEnd:
                guard var (header, payload) = heldClose else { continue }
                heldClose = nil
                if payload.count >= 2, !CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1])).isValidOnWire {
                    payload[0] = 0x03; payload[1] = 0xE8  // 1000: "accepted"
                }
                if header.maskingKey != nil { header.maskingKey = 0 }
                output += FrameEncoder.encode(header, payload: payload)
            }
        }
        return output
    }

    mutating func nextMessageStartedAsText() -> Bool {
        startedAsText.isEmpty ? false : startedAsText.removeFirst()
    }
}
