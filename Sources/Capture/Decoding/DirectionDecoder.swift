import WebSocketCore

/// Decodes the frames of one direction of an open WebSocket connection with the gateway's own
/// parsers (`FrameParser`, `FrameRules`, `MessageAssembler`, `HixieFrameParser`), reporting every
/// violation and reading on.
struct DirectionDecoder {
    let direction: Direction
    let framing: ProtocolVersion.Framing
    let closingHandshake: Bool
    let maxPayload: Int
    private var buffer = ByteQueue()
    private var parser = FrameParser()
    private var hixie: HixieFrameParser
    private var rules: FrameRules
    private var assembler: MessageAssembler
    private var deflate: DeflateContext?
    private let agreement: DeflateAgreement?
    private let receiver: Role
    /// The data message being read: its kind, payload bytes so far, and whether it is compressed.
    private var messageKind = "text"
    private var messageWireBytes = 0
    private var messageCompressed = false
    /// Payload bytes of the frame being read not yet seen.
    private var payloadLeft: UInt64 = 0
    /// Bytes still to drop after a gap inside a frame's payload: the rest of that frame.
    private var skipping = 0
    /// A message that lost a fragment in a gap: its later fragments are shown, not assembled.
    private var lostMessage = false
    /// Bytes passed over since alignment was lost (reported when it is found again).
    private var unaligned = 0
    /// The frame being read: its header, and whether the assembler skips it (reserved opcode).
    private var header: FrameHeader?
    private var skippingFrame = false
    private var controlWire = 0
    /// After a gap the parser is out of step until a plausible frame start is found.
    private(set) var desynchronised: Bool
    /// Bytes the deflate window holds are missing from the capture: inflation may fail for that.
    private(set) var incomplete: Bool
    private(set) var messages = 0
    private(set) var frames = 0
    private(set) var closeCode: Int?? = nil
    var connection = 0

    /// `maxMessageBytes`: what is held of one unfinished message (a live stream must stay bounded);
    /// a longer one is shown without its content, which is the decoder's limit, not the peer's fault.
    init(direction: Direction, version: ProtocolVersion, agreement: DeflateAgreement?, maxPayload: Int, startsMidStream: Bool,
         maxMessageBytes: Int = 16 << 20) {
        self.direction = direction
        framing = version.framing
        closingHandshake = version == .hixie76
        self.maxPayload = maxPayload
        let receiver: Role = direction == .c2s ? .server : .client
        self.receiver = receiver
        self.agreement = agreement
        rules = FrameRules(receiver: receiver, deflateNegotiated: agreement != nil, maxFrameSize: Int.max)
        let limits = ConnectionLimits(maxFrameSize: Int.max, maxMessageSize: maxMessageBytes)
        assembler = MessageAssembler(limits: limits)
        hixie = HixieFrameParser(closingHandshakeEnabled: version == .hixie76, maxFrameSize: limits.maxMessageSize)
        deflate = agreement.map { DeflateContext(agreement: $0, role: receiver, compressOutbound: false) }
        desynchronised = startsMidStream
        incomplete = startsMidStream
    }

    mutating func feed(_ bytes: [UInt8], time: Double) -> [DecodeRecord] {
        let dropped = min(skipping, bytes.count)
        skipping -= dropped
        if dropped == 0 { buffer.append(contentsOf: bytes) } else { buffer.append(contentsOf: Array(bytes[dropped...])) }
        var records: [DecodeRecord] = []
        if desynchronised {
            guard resynchronise() else { return [] }
            records.append(.gap(GapRecord(connection: connection, time: time, direction: direction, bytes: 0,
                                          note: "resynchronised: \(unaligned) bytes of unknown alignment passed over; "
                                              + (framing == .rfc6455 ? "two consecutive frames line up here" : "resumed after a 0xFF that ends a frame"))))
            unaligned = 0
        }
        return records + (framing == .rfc6455 ? decodeFrames(time: time) : decodeHixie(time: time))
    }

    /// Missing bytes. Inside the payload of a frame whose header was seen, its length says where
    /// the next frame starts: that frame is shown as truncated and decoding goes on there. Anywhere
    /// else the alignment is unknown until consecutive frames line up again (`resynchronise`).
    /// Bytes that will never come: `exact` when their count is (TCP's sequence numbers say so;
    /// TLS records lost whole only bound it); `cause` says where they went.
    mutating func gap(bytes: Int, time: Double, exact: Bool = true, cause: String? = nil) -> [DecodeRecord] {
        if exact, framing == .rfc6455, !desynchronised, let h = header, skipping == 0, UInt64(bytes) < payloadLeft {
            return gapInsidePayload(of: h, missing: bytes, time: time)
        }
        incomplete = true
        desynchronised = true
        buffer = ByteQueue()
        parser = FrameParser()
        hixie = HixieFrameParser(closingHandshakeEnabled: closingHandshake, maxFrameSize: hixie.maxFrameSize)
        assembler.reset()
        header = nil
        // The deflate window shared across messages (context takeover) lost the gap's bytes: a
        // fresh one inflates a later message correctly when it refers only to what follows the
        // gap, and fails — said, not guessed — when it refers to what was lost (RFC 7692 §7.2.3).
        deflate = agreement.map { DeflateContext(agreement: $0, role: receiver, compressOutbound: false) }
        return [.gap(GapRecord(connection: connection, time: time, direction: direction, bytes: bytes,
                               note: (cause ?? "\(bytes) bytes missing from the capture") + "; nothing is decoded until "
                                   + (framing == .rfc6455 ? "two frames line up again" : "a frame's end (0xFF)")))]
    }

    private mutating func gapInsidePayload(of h: FrameHeader, missing bytes: Int, time: Double) -> [DecodeRecord] {
        skipping = Int(clamping: payloadLeft - UInt64(bytes))
        let total = h.payloadLength
        parser = FrameParser()
        header = nil
        var records: [DecodeRecord] = [.gap(GapRecord(
            connection: connection, time: time, direction: direction, bytes: bytes,
            note: "\(bytes) bytes missing from the capture inside a frame's payload (\(bytes) of its \(total)); its length puts the next frame \(skipping) bytes after the gap"))]
        if h.opcode.isControl {
            records.append(.message(MessageRecord(connection: connection, time: time, direction: direction, kind: h.opcode.description,
                                                  compressed: false, wireLength: Int(clamping: total), length: nil, text: nil, hex: nil,
                                                  truncated: false, closeCode: nil, note: "\(bytes) of \(total) payload bytes missing from the capture")))
            return records
        }
        messages += 1
        records.append(.message(MessageRecord(connection: connection, time: time, direction: direction, kind: messageKind,
                                              compressed: messageCompressed, wireLength: messageWireBytes, length: nil, text: nil, hex: nil,
                                              truncated: false, closeCode: nil,
                                              note: "\(bytes) of its payload bytes are missing from the capture")))
        assembler.reset()
        lostMessage = !h.fin
        // A compressed message lost part of itself, and with it the shared window (RFC 7692 §7.2.3).
        if messageCompressed {
            incomplete = true
            deflate = agreement.map { DeflateContext(agreement: $0, role: receiver, compressOutbound: false) }
        }
        return records
    }

    /// At the end of the capture: a frame still open is reported.
    mutating func finish(time: Double) -> [DecodeRecord] {
        var records: [DecodeRecord] = []
        if desynchronised, framing == .rfc6455, !buffer.isEmpty {
            // The data's end is a frame boundary: a frame that lines up with it is evidence too,
            // weaker than two frames in a row, and said so.
            if resynchronise(acceptingTheEnd: true) {
                records.append(.gap(GapRecord(connection: connection, time: time, direction: direction, bytes: 0,
                                              note: "resynchronised: \(unaligned) bytes of unknown alignment passed over; the last frame lines up with the end of the data")))
                unaligned = 0
                records += decodeFrames(time: time)
            } else {
                let lost = buffer.count + unaligned
                buffer = ByteQueue()
                return [.gap(GapRecord(connection: connection, time: time, direction: direction, bytes: lost,
                                       note: "lost sync: the last \(lost) bytes could not be aligned on frames with certainty"))]
            }
        }
        guard !buffer.isEmpty || header != nil else { return records }
        if framing == .hixie, !buffer.isEmpty, buffer[0] & 0x80 == 0 {
            return records + [.gap(GapRecord(connection: connection, time: time, direction: direction, bytes: buffer.count,
                                             note: "the data ends inside a hixie text frame (\(buffer.count - 1) bytes of it, no closing 0xFF yet)"))]
        }
        return records + [.gap(GapRecord(connection: connection, time: time, direction: direction, bytes: buffer.count,
                                         note: "capture ends inside a frame (\(buffer.count) bytes of it kept)"))]
    }

    // MARK: RFC 6455

    private mutating func decodeFrames(time: Double) -> [DecodeRecord] {
        var records: [DecodeRecord] = []
        while true {
            let event: FrameParser.Event?
            do throws(WebSocketError) {
                event = try parser.next(&buffer)
            } catch {
                records.append(violation(error, time: time))
                desynchronised = true
                parser = FrameParser()
                buffer.consume(min(1, buffer.count))
                if !resynchronise() { return records }
                continue
            }
            guard let event else { return records }
            if case .header(let h) = event {
                header = h
                frames += 1
                records.append(.frame(FrameRecord(
                    connection: connection, time: time, direction: direction, framing: "rfc6455", opcode: Int(h.opcode.rawValue),
                    opcodeName: h.opcode.description, fin: h.fin, rsv: Int(h.rsvBits), masked: h.maskingKey != nil,
                    maskingKey: h.maskingKey.map { String(format8: $0) }, payloadLength: Int(clamping: h.payloadLength),
                    wireLength: Int(clamping: h.payloadLength) > Int.max - h.headerLength ? Int.max : h.headerLength + Int(h.payloadLength))))
                for rule in rules.violations(of: h) { records.append(violation(rule, time: time)) }
                payloadLeft = h.payloadLength
                skippingFrame = h.opcode.isReserved
                if skippingFrame { continue }
                if h.opcode == .text || h.opcode == .binary {
                    messageKind = h.opcode == .text ? "text" : "binary"
                    messageWireBytes = 0
                    messageCompressed = h.rsvBits & 0b100 != 0
                    lostMessage = false
                }
                if !h.opcode.isControl {
                    // A corrupt length may be near 2^64: saturate, never trap.
                    let (sum, overflow) = messageWireBytes.addingReportingOverflow(Int(clamping: h.payloadLength))
                    messageWireBytes = overflow ? Int.max : sum
                }
                if lostMessage, h.opcode == .continuation {
                    // The rest of a message whose earlier fragment a gap cut: shown, not assembled.
                    skippingFrame = true
                    if h.fin { lostMessage = false }
                    continue
                }
            }
            if case .payload(let chunk) = event { payloadLeft -= UInt64(chunk.count) }
            if skippingFrame {
                if case .frameEnd = event { skippingFrame = false; header = nil }
                continue
            }
            do throws(WebSocketError) {
                switch try assembler.handle(event, deflate: deflate) {
                case .message(let message, let compressed, let payloadBytes)?:
                    records.append(messageRecord(message, compressed: compressed, wireLength: payloadBytes, time: time))
                case .control(let opcode, let payload)?:
                    records += controlRecords(opcode, payload, time: time)
                case nil:
                    break
                }
            } catch {
                if case .inflateFailed = error, incomplete {
                    // Not the peer's fault: the window it refers to is missing from the capture.
                    messages += 1
                    records.append(.message(MessageRecord(
                        connection: connection, time: time, direction: direction, kind: messageKind, compressed: true,
                        wireLength: messageWireBytes, length: nil, text: nil, hex: nil, truncated: false, closeCode: nil,
                        note: "cannot be inflated: it refers to bytes of the deflate window that the capture is missing")))
                    // zlib stops at the error: a fresh window again, for the messages that follow.
                    deflate = agreement.map { DeflateContext(agreement: $0, role: receiver, compressOutbound: false) }
                } else if case .messageTooLarge(let limit) = error {
                    messages += 1
                    records.append(.message(MessageRecord(
                        connection: connection, time: time, direction: direction, kind: messageKind, compressed: messageCompressed,
                        wireLength: messageWireBytes, length: nil, text: nil, hex: nil, truncated: false, closeCode: nil,
                        note: "longer than the \(limit) bytes the decoder keeps of a message (--max-message-bytes): content not shown")))
                    // Its inflation stopped part-way: the shared window lacks the rest (RFC 7692 §7.2.3).
                    if messageCompressed {
                        incomplete = true
                        deflate = agreement.map { DeflateContext(agreement: $0, role: receiver, compressOutbound: false) }
                    }
                } else {
                    records.append(violation(error, time: time))
                }
                assembler.reset()
                if let h = header, !h.opcode.isControl, !h.fin { lostMessage = true }
                skippingFrame = header.map { !($0.opcode.isControl) } ?? false
                if case .frameEnd = event { skippingFrame = false }
            }
            if case .frameEnd = event { header = nil }
        }
    }

    private mutating func controlRecords(_ opcode: Opcode, _ payload: [UInt8], time: Double) -> [DecodeRecord] {
        let wire = payload.count
        switch opcode {
        case .close:
            do throws(WebSocketError) {
                let (code, reason) = try RFC6455Connection.parseClosePayload(payload)
                closeCode = .some(code.map { Int($0.rawValue) })
                var record = MessageRecord(connection: connection, time: time, direction: direction, kind: "close", compressed: false,
                                           wireLength: wire, length: wire, text: reason, hex: nil, truncated: false,
                                           closeCode: code.map { Int($0.rawValue) })
                (record.text, record.truncated) = cut(reason)
                return [.message(record)]
            } catch {
                return [.message(MessageRecord(connection: connection, time: time, direction: direction, kind: "close", compressed: false,
                                               wireLength: wire, length: wire, text: nil, hex: hex(payload).0, truncated: false, closeCode: nil)),
                        violation(error, time: time)]
            }
        default:
            let (hexText, truncated) = hex(payload)
            return [.message(MessageRecord(connection: connection, time: time, direction: direction, kind: opcode == .ping ? "ping" : "pong",
                                           compressed: false, wireLength: wire, length: wire, text: nil, hex: hexText,
                                           truncated: truncated, closeCode: nil))]
        }
    }

    /// After missing bytes: the first offset where a header that obeys every rule is followed,
    /// exactly where its length ends, by another such header. Until then nothing is decoded.
    private mutating func resynchronise(acceptingTheEnd: Bool = false) -> Bool {
        if framing == .hixie {
            // A hixie frame starts after a 0xFF that ends the previous one.
            guard let end = buffer.firstIndex(of: 0xFF) else {
                buffer = ByteQueue()
                return false
            }
            buffer.consume(end + 1)
            unaligned += end + 1
            desynchronised = false
            return true
        }
        let bytes = Array(buffer.readable)
        var start = 0
        while start + 2 <= bytes.count {
            // Evidence, not a guess: a header whose length lands exactly on another header.
            if let next = plausibleFrameEnd(bytes, at: start),
               next < bytes.count ? plausibleFrameEnd(bytes, at: next) != nil : acceptingTheEnd {
                buffer.consume(start)
                unaligned += start
                desynchronised = false
                parser = FrameParser()
                return true
            }
            start += 1
        }
        // Keep what could still start a chain once more bytes come: from the first offset where a
        // whole plausible frame begins (its successor may not be here yet), else a header's length.
        var keepFrom = (0..<max(0, bytes.count - 1)).first { plausibleFrameEnd(bytes, at: $0) != nil } ?? max(0, bytes.count - 14)
        if bytes.count - keepFrom > 1 << 20 { keepFrom = bytes.count - 14 }   // bounded while no chain appears
        if keepFrom > 0 { buffer.consume(keepFrom); unaligned += keepFrom }
        return false
    }

    private func plausibleFrameEnd(_ bytes: [UInt8], at start: Int) -> Int? {
        var probe = ByteQueue(bytes[start..<min(bytes.count, start + 14)])   // a header is at most 14 bytes
        var parser = FrameParser()
        guard case .header(let h)? = try? parser.next(&probe) else { return nil }
        guard rules.violations(of: h).isEmpty, !h.opcode.isReserved else { return nil }
        // A corrupt length may be near 2^64: compare before adding (found by FuzzCapture).
        let available = bytes.count - start - h.headerLength
        guard available >= 0, h.payloadLength <= UInt64(available) else { return nil }
        return start + h.headerLength + Int(h.payloadLength)
    }

    // MARK: hixie

    private mutating func decodeHixie(time: Double) -> [DecodeRecord] {
        var records: [DecodeRecord] = []
        while true {
            let event: HixieFrameParser.Event?
            do throws(WebSocketError) {
                event = try hixie.next(&buffer)
            } catch {
                if case .hixieFrameTooLarge(let limit) = error {
                    // hixie text has no length and no limit: the frame runs to its 0xFF, where
                    // decoding resumes; too long for the decoder is not the peer's fault.
                    messages += 1
                    records.append(.message(MessageRecord(
                        connection: connection, time: time, direction: direction, kind: "text", compressed: false,
                        wireLength: limit, length: nil, text: nil, hex: nil, truncated: false, closeCode: nil,
                        note: "a text frame longer than the \(limit) bytes the decoder keeps (--max-message-bytes): content not shown")))
                } else {
                    records.append(violation(error, time: time))
                }
                desynchronised = true
                buffer.consume(min(1, buffer.count))
                if !resynchronise() { return records }
                continue
            }
            guard let event else { return records }
            frames += 1
            switch event {
            case .text(let body):
                records.append(.frame(FrameRecord(connection: connection, time: time, direction: direction, framing: "hixie", opcode: nil,
                                                  opcodeName: "text", fin: nil, rsv: nil, masked: nil, maskingKey: nil,
                                                  payloadLength: body.count, wireLength: body.count + 2)))
                if UTF8Validator.isValid(body) {
                    records.append(messageRecord(.text(String(decoding: body, as: UTF8.self)), compressed: false, wireLength: body.count, time: time))
                } else {
                    records.append(violation(.hixieInvalidUTF8, time: time))
                }
            case .discarded(let type, let length):
                records.append(.frame(FrameRecord(connection: connection, time: time, direction: direction, framing: "hixie", opcode: Int(type),
                                                  opcodeName: "discarded-0x" + String(type, radix: 16), fin: nil, rsv: nil, masked: nil,
                                                  maskingKey: nil, payloadLength: length, wireLength: length + 2)))
            case .closingHandshake:
                closeCode = .some(nil)
                records.append(.frame(FrameRecord(connection: connection, time: time, direction: direction, framing: "hixie", opcode: 0xFF,
                                                  opcodeName: "close", fin: nil, rsv: nil, masked: nil, maskingKey: nil,
                                                  payloadLength: 0, wireLength: 2)))
                records.append(.message(MessageRecord(connection: connection, time: time, direction: direction, kind: "close",
                                                      compressed: false, wireLength: 0, length: 0, text: nil, hex: nil,
                                                      truncated: false, closeCode: nil)))
            }
        }
    }

    // MARK: Records

    private mutating func messageRecord(_ message: Message, compressed: Bool, wireLength: Int, time: Double) -> DecodeRecord {
        messages += 1
        switch message {
        case .text(let text):
            let (cutText, truncated) = cut(text)
            return .message(MessageRecord(connection: connection, time: time, direction: direction, kind: "text", compressed: compressed,
                                          wireLength: wireLength, length: text.utf8.count, text: cutText, hex: nil,
                                          truncated: truncated, closeCode: nil))
        case .binary(let bytes):
            let (hexText, truncated) = hex(bytes)
            return .message(MessageRecord(connection: connection, time: time, direction: direction, kind: "binary", compressed: compressed,
                                          wireLength: wireLength, length: bytes.count, text: nil, hex: hexText,
                                          truncated: truncated, closeCode: nil))
        }
    }

    private func violation(_ error: WebSocketError, time: Double, note: String? = nil) -> DecodeRecord {
        .violation(ViolationRecord(connection: connection, time: time, direction: direction, rule: error.identifier,
                                   section: error.section, description: note ?? error.reason))
    }

    /// At most `maxPayload` characters, counting no further than that (a 1,400-byte text would be
    /// walked whole by `count` for every message).
    private func cut(_ text: String) -> (String, Bool) {
        guard text.utf8.count > maxPayload,
              let end = text.index(text.startIndex, offsetBy: maxPayload, limitedBy: text.endIndex), end != text.endIndex else {
            return (text, false)
        }
        return (String(text[..<end]), true)
    }

    private func hex(_ bytes: [UInt8]) -> (String, Bool) {
        (Hex.encode(bytes.prefix(maxPayload), separator: ""), bytes.count > maxPayload)
    }
}

extension String {
    /// Lower-case hex of a 32-bit masking key.
    init(format8 key: UInt32) {
        self = Hex.encode([UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)], separator: "")
    }
}
