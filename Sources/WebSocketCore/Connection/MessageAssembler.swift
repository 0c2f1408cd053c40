/// Reassembles RFC 6455 frames into messages (§5.4): continuation rules, control frames between
/// fragments, per-message inflation (RFC 7692 §7.2.2) and fail-fast UTF-8 validation (§8.1),
/// with the message size limit counted on inflated bytes as they are produced.
///
/// Shared by `RFC6455Connection` (which fails the connection on the first error) and the capture
/// decoder (which reports the error, calls `reset()` and reads on).
public struct MessageAssembler {
    /// What a completed frame produced.
    public enum Output: Hashable, Sendable {
        /// A complete data message; `compressed` when RSV1 was set on its first frame.
        case message(Message, compressed: Bool, payloadBytes: Int)
        /// A complete control frame.
        case control(Opcode, [UInt8])
    }

    public let limits: ConnectionLimits
    /// The frame being read.
    public private(set) var frame: FrameHeader?
    private var controlPayload: [UInt8] = []
    /// The data message being assembled (across fragments).
    public private(set) var messageOpcode: Opcode?
    private var messageCompressed = false
    private var messageBytes: [UInt8] = []
    private var messagePayloadBytes = 0
    private var validatedCount = 0
    private var utf8 = UTF8Validator()

    public init(limits: ConnectionLimits = ConnectionLimits()) {
        self.limits = limits
    }

    /// Feeds one parser event; returns what a completed frame produced.
    public mutating func handle(_ event: FrameParser.Event, deflate: DeflateContext?) throws(WebSocketError) -> Output? {
        switch try step(event, deflate: deflate) {
        case nil: return nil
        case .control(let opcode, let payload)?: return .control(opcode, payload)
        case .message(let opcode, let bytes, let compressed, let payloadBytes)?:
            return .message(Self.message(opcode, bytes), compressed: compressed, payloadBytes: payloadBytes)
        }
    }

    /// What a completed frame produced, a message still as bytes: a connection lends them to its
    /// shell without making a `String` first.
    enum Step {
        case message(Opcode, [UInt8], compressed: Bool, payloadBytes: Int)
        case control(Opcode, [UInt8])
    }

    /// A complete message's bytes as a value (text: already checked as UTF-8).
    static func message(_ opcode: Opcode, _ bytes: [UInt8]) -> Message {
        opcode == .text ? .text(String(decoding: bytes, as: UTF8.self)) : .binary(bytes)
    }

    /// `handle`, with messages left as bytes.
    mutating func step(_ event: FrameParser.Event, deflate: DeflateContext?) throws(WebSocketError) -> Step? {
        switch event {
        case .header(let header):
            try begin(header)
            frame = header
            return nil
        case .payload(let chunk):
            guard let header = frame else { return nil }
            if header.opcode.isControl {
                controlPayload += chunk
            } else {
                try append(chunk, deflate: deflate)
            }
            return nil
        case .frameEnd:
            guard let header = frame else { return nil }
            frame = nil
            if header.opcode.isControl {
                defer { controlPayload = [] }
                return .control(header.opcode, controlPayload)
            }
            return header.fin ? try finish(deflate: deflate) : nil
        }
    }

    /// Reads the frame whose header it was just handed in place, when that frame is a whole
    /// message by itself — final, text or binary (not a continuation) — and its payload is all in
    /// `buffer`: the common case, a small message in one read. The payload is unmasked where it
    /// lies, checked as UTF-8 in the same pass when it is ASCII (§8.1), and lent to `deliver`
    /// without a copy; a compressed one is inflated straight from there (RFC 7692 §7.2.2). False,
    /// changing nothing, for any other frame: read it on through `parser.next` and `handle`.
    /// `scratch` (when messages are lent): where a compressed one is inflated, instead of an array
    /// of its own.
    mutating func wholeMessageInPlace(_ parser: inout FrameParser, _ buffer: inout ByteQueue, deflate: DeflateContext?,
                                      scratch: inout InflateScratch?, _ deliver: (ReceivedMessage) -> Void) throws(WebSocketError) -> Bool {
        guard let header = frame, header.fin, header.opcode == .text || header.opcode == .binary else { return false }
        let compressed = messageCompressed
        guard !compressed || deflate != nil else { return false }   // `append` reports RSV1 without deflate
        let opcode = header.opcode
        var failure: WebSocketError?
        let read: Void? = parser.wholePayloadInPlace(&buffer) { payload, allASCII in
            if compressed {
                if scratch != nil { messageBytes = scratch!.take() }   // empty, with the room it kept
                failure = inflateWhole(payload, deflate!, isText: opcode == .text)
            } else if opcode == .text && allASCII != true && !UTF8Validator.isValid(payload) {
                failure = .invalidUTF8
            } else {
                deliver(.inPlace(MessageView(opcode: opcode, bytes: payload)))
            }
        }
        guard read != nil else { return false }
        frame = nil
        messageOpcode = nil
        guard compressed else {
            if let failure { throw failure }
            return true
        }
        var inflated = messageBytes
        messageBytes = []
        // Inflated into the scratch when there is one: given back once the message has been lent.
        defer { if scratch != nil { scratch!.giveBack(&inflated) } }
        if let failure { throw failure }
        deliver(.assembled(opcode, inflated))   // handed over, not copied
        return true
    }

    /// A whole compressed message: inflated into `messageBytes` and checked, reporting the first
    /// problem in stream order as `append` and `finish` do (text inflated before a corrupt or
    /// oversized part is checked first), so the verdict is the same as read frame by frame.
    private mutating func inflateWhole(_ payload: UnsafeRawBufferPointer, _ deflate: DeflateContext, isText: Bool) -> WebSocketError? {
        do throws(WebSocketError) {
            try deflate.inflate(payload.assumingMemoryBound(to: UInt8.self), into: &messageBytes, limit: limits.maxMessageSize)
            try deflate.finishMessage(into: &messageBytes, limit: limits.maxMessageSize)
        } catch {
            var validator = UTF8Validator()
            return isText && !validator.feed(messageBytes) ? .invalidUTF8 : error
        }
        return isText && !UTF8Validator.isValid(messageBytes) ? .invalidUTF8 : nil
    }

    /// Forgets the frame and message in progress (after an error the caller reports and skips).
    public mutating func reset() {
        frame = nil
        controlPayload = []
        messageOpcode = nil
        messageBytes = []
    }

    /// Message-level rules (§5.4) at the start of each data frame.
    private mutating func begin(_ header: FrameHeader) throws(WebSocketError) {
        guard !header.opcode.isControl else { return }
        if header.opcode == .continuation {
            guard messageOpcode != nil else { throw .unexpectedContinuation }
        } else {
            guard messageOpcode == nil else { throw .expectedContinuation }
            messageOpcode = header.opcode
            messageCompressed = header.rsv1
            messageBytes = []
            messagePayloadBytes = 0
            validatedCount = 0
            utf8 = UTF8Validator()
        }
        messagePayloadBytes += Int(clamping: header.payloadLength)
        // An uncompressed message's size is known from the headers: refuse before reading it.
        if !messageCompressed && UInt64(messageBytes.count) + header.payloadLength > UInt64(limits.maxMessageSize) {
            throw .messageTooLarge(limit: limits.maxMessageSize)
        }
    }

    private mutating func append(_ chunk: [UInt8], deflate: DeflateContext?) throws(WebSocketError) {
        if messageCompressed {
            guard deflate != nil else { throw .reservedBitsSet(rsv: 4) }
            do throws(WebSocketError) {
                try deflate!.inflate(chunk, into: &messageBytes, limit: limits.maxMessageSize)
            } catch {
                // Report the first problem in stream order: text inflated before the corrupt or
                // oversized part is checked first, so the verdict does not depend on how the
                // payload was split across reads (found by FuzzFrameParser).
                try validateText()
                throw error
            }
        } else if messageBytes.isEmpty {
            messageBytes = chunk   // the parser's copy becomes the message: no second copy
        } else {
            messageBytes += chunk
        }
        try validateText()
    }

    /// §8.1 fail fast: text is checked as it arrives, not when the message ends.
    private mutating func validateText() throws(WebSocketError) {
        guard messageOpcode == .text, validatedCount < messageBytes.count else { return }
        let fresh = messageBytes[validatedCount...]
        validatedCount = messageBytes.count
        guard utf8.feed(fresh) else { throw .invalidUTF8 }
    }

    private mutating func finish(deflate: DeflateContext?) throws(WebSocketError) -> Step {
        if messageCompressed {
            guard deflate != nil else { throw .reservedBitsSet(rsv: 4) }
            do throws(WebSocketError) {
                try deflate!.finishMessage(into: &messageBytes, limit: limits.maxMessageSize)
            } catch {
                try validateText()
                throw error
            }
            try validateText()
        }
        let opcode = messageOpcode
        messageOpcode = nil
        let bytes = messageBytes
        messageBytes = []
        if opcode == .text {
            guard utf8.isComplete else { throw .invalidUTF8 }
        }
        return .message(opcode ?? .binary, bytes, compressed: messageCompressed, payloadBytes: messagePayloadBytes)
    }
}
