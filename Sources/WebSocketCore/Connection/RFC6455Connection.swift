/// One RFC 6455 (or hybi-07/08) connection after the opening handshake: frames and messages,
/// control frames, the closing handshake, permessage-deflate.
public struct RFC6455Connection: WebSocketConnection {
    public let version: ProtocolVersion
    public let role: Role
    public let limits: ConnectionLimits
    public private(set) var state: ConnectionState = .open
    public let rules: FrameRules

    private var buffer = ByteQueue()
    private var parser = FrameParser()
    private var deflate: DeflateContext?
    private var maskingKeys: MaskingKeySource

    private var assembler: MessageAssembler
    private var closeSent = false
    public var defersCloseReply = false
    private var closing = CloseBookkeeping()
    /// What the peer sent after its close, unread (`CloseBookkeeping`).
    public var bytesAfterClose: Int { closing.bytesAfterClose }

    /// `random` draws the masking keys a client must use (§5.3); inject a seeded one for
    /// deterministic tests.
    public init(role: Role, version: ProtocolVersion = .rfc6455, deflate: DeflateContext? = nil,
                limits: ConnectionLimits = ConnectionLimits(),
                random: any RandomNumberGenerator = SystemRandomNumberGenerator()) {
        precondition(version.framing == .rfc6455, "RFC6455Connection speaks hybi-07 and later")
        self.role = role
        self.version = version
        self.deflate = deflate
        self.limits = limits
        self.maskingKeys = MaskingKeySource(random)
        self.rules = FrameRules(receiver: role, deflateNegotiated: deflate != nil, maxFrameSize: limits.maxFrameSize)
        self.assembler = MessageAssembler(limits: limits)
    }

    public var deflateAgreement: DeflateAgreement? { deflate?.agreement }

    // MARK: Receiving

    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> ConnectionOutput {
        var noScratch: InflateScratch?
        return read(bytes, scratch: &noScratch, { message, output in output.append(.message(message.message)) }, handOver: { _ in })
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                                 deliver: (LentDelivery) -> Void) -> ConnectionOutput {
        // Moved in and back out, not copied: its storage stays unique, so it is reused in place.
        var lent: InflateScratch? = InflateScratch()
        swap(&lent!, &scratch)
        defer { swap(&lent!, &scratch) }
        return read(bytes, scratch: &lent, { message, _ in message.withView { deliver(.message($0)) } },
                    handOver: { output in output.handAnswers(to: deliver) })
    }

    /// Both `receive`s: each message goes to `deliver` when it completes, in order with the events;
    /// `handOver` runs after each step, where a lending read hands the answers over at once.
    private mutating func read(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch?,
                               _ deliver: (ReceivedMessage, inout ConnectionOutput) -> Void,
                               handOver: (inout ConnectionOutput) -> Void) -> ConnectionOutput {
        var output = ConnectionOutput()
        guard closing.readBegins(state, incoming: bytes.count) else { return output }  // §7.1.1: nothing is read after the close
        let wasOpen = state == .open
        var messages = 0
        defer { closing.readEnds(wasOpen: wasOpen, state, messages: messages, buffer: &buffer) }
        buffer.append(contentsOf: bytes)
        // Loaded once per read, not once per event: each load of the reference is a retain.
        let deflate = self.deflate
        do throws(WebSocketError) {
            while state == .open || state == .closing, let event = try parser.next(&buffer) {
                if case .header(let header) = event, let violation = rules.violations(of: header).first { throw violation }
                switch try assembler.step(event, deflate: deflate) {
                case .message(let opcode, let bytes, _, _)?:
                    messages += 1
                    deliver(.assembled(opcode, bytes), &output)
                case .control(let opcode, let payload)?:
                    try handleControl(opcode, payload, &output)
                    handOver(&output)
                case nil:
                    // A frame that is a whole message and all in the buffer: read where it lies.
                    if case .header = event {
                        _ = try assembler.wholeMessageInPlace(&parser, &buffer, deflate: deflate, scratch: &scratch) {
                            messages += 1
                            deliver($0, &output)
                        }
                    }
                }
            }
        } catch {
            failConnection(error, &output)
            handOver(&output)
        }
        return output
    }

    private mutating func handleControl(_ opcode: Opcode, _ payload: [UInt8], _ output: inout ConnectionOutput) throws(WebSocketError) {
        switch opcode {
        case .ping:
            output.append(.ping(payload))
            // §5.5.2: answer with a pong carrying the same data, unless already closing (§5.5.1).
            if !closeSent { output.appendAnswer(frameBytes(opcode: .pong, payload: payload)) }
        case .pong:
            output.append(.pong(payload))
        case .close:
            let (code, reason) = try Self.parseClosePayload(payload)
            output.append(.closeReceived(code: code, reason: reason))
            closing.peerClosedConnection()
            if !closeSent && defersCloseReply {
                state = .peerClosed   // the shell answers with `close` when its other leg is done
                return
            }
            if !closeSent {
                // §5.5.1: reply with a close, typically echoing the status code received.
                output.appendAnswer(frameBytes(opcode: .close, payload: FrameEncoder.closePayload(code: code, reason: "")))
                closeSent = true
            }
            state = .closed
            // §7.1.1: the server closes the TCP connection first; a client waits for it.
            output.closeTransport = role == .server
        default:
            break
        }
    }

    /// §5.5.1 / §7.4: no payload, or a valid code then a UTF-8 reason.
    public static func parseClosePayload(_ payload: [UInt8]) throws(WebSocketError) -> (CloseCode?, String) {
        if payload.isEmpty { return (nil, "") }
        guard payload.count >= 2 else { throw .closePayloadTooShort }
        let code = CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidOnWire else { throw .invalidCloseCode(code.rawValue) }
        let reason = payload[2...]
        guard UTF8Validator.isValid(reason) else { throw .invalidCloseReason }
        return (code, String(decoding: reason, as: UTF8.self))
    }

    // MARK: Sending

    public mutating func send(_ message: Message) throws(WebSocketError) -> [UInt8] {
        try send(message, fragmentSize: nil)
    }

    /// The frames of one message, split into fragments of at most `fragmentSize` payload bytes
    /// (after compression) when given.
    public mutating func send(_ message: Message, fragmentSize: Int?) throws(WebSocketError) -> [UInt8] {
        guard state == .open || state == .peerClosed || closing.closedByLastRead else { throw .connectionNotOpen }
        let opcode: Opcode
        if case .text = message { opcode = .text } else { opcode = .binary }
        if deflate == nil, fragmentSize == nil { return FrameEncoder.frame(message, maskingKey: nextMaskingKey()) }
        var payload = message.bytes
        var compressed = false
        if let deflate { (payload, compressed) = deflate.encode(payload) }
        guard let size = fragmentSize, size > 0, payload.count > size else {
            return frameBytes(opcode: opcode, payload: payload, rsv1: compressed)
        }
        var bytes: [UInt8] = []
        var start = 0
        while start < payload.count {
            let end = min(start + size, payload.count)
            bytes += frameBytes(opcode: start == 0 ? opcode : .continuation, payload: payload[start..<end],
                                fin: end == payload.count, rsv1: compressed && start == 0)
            start = end
        }
        return bytes
    }

    @discardableResult
    public mutating func releaseIdleMemory() -> Int {
        buffer.releaseIfEmpty()
        // Between messages only: a fragmented message in progress holds its inflater's state.
        guard assembler.messageOpcode == nil, let deflate else { return 0 }
        return deflate.releaseStreamsWithoutContext()
    }

    public var sharedEncoding: SharedEncoding? {
        guard role == .server else { return nil }   // §5.3: a client's frames carry its own mask
        guard let deflate else { return .rfc6455 }
        guard deflate.compressOutbound else { return .rfc6455 }   // window-bits-8 policy: never compressed
        let outbound = deflate.agreement.outbound(for: role)
        guard outbound.noContextTakeover else { return nil }
        return .rfc6455Deflate(SharedDeflateParameters(windowBits: outbound.windowBits, memoryLevel: deflate.configuration.memoryLevel,
                                                       compressionLevel: deflate.configuration.compressionLevel,
                                                       minimumCompressedSize: deflate.configuration.minimumCompressedSize))
    }

    public mutating func ping(_ payload: [UInt8] = []) throws(WebSocketError) -> [UInt8] {
        guard state == .open else { throw .connectionNotOpen }
        guard payload.count <= 125 else { throw .controlPayloadTooLong(payload.count) }
        return frameBytes(opcode: .ping, payload: payload)
    }

    public mutating func pong(_ payload: [UInt8] = []) throws(WebSocketError) -> [UInt8] {
        guard state == .open else { throw .connectionNotOpen }
        guard payload.count <= 125 else { throw .controlPayloadTooLong(payload.count) }
        return frameBytes(opcode: .pong, payload: payload)
    }

    public mutating func close(code: CloseCode? = .normalClosure, reason: String = "") throws(WebSocketError) -> ConnectionOutput {
        closing.localAction()
        guard state == .open || state == .peerClosed else { throw .connectionNotOpen }
        // §5.5.1: a close frame may have no body (nil: what a relay sends for a peer's close without one).
        var payload: [UInt8] = []
        if let code {
            guard code.isValidOnWire else { throw .invalidLocalCloseCode(code.rawValue) }
            payload = FrameEncoder.closePayload(code: code, reason: reason)
        }
        guard payload.count <= 125 else { throw .controlPayloadTooLong(payload.count) }
        closeSent = true
        if state == .peerClosed {
            // The held answer to the peer's close: the handshake is complete (§7.1.1: a server
            // then closes TCP; a client waits for the server to).
            state = .closed
            return ConnectionOutput(outbound: frameBytes(opcode: .close, payload: payload), closeTransport: role == .server)
        }
        state = .closing
        return ConnectionOutput(outbound: frameBytes(opcode: .close, payload: payload))
    }

    public mutating func fail(_ error: WebSocketError) -> ConnectionOutput {
        closing.localAction()
        var output = ConnectionOutput()
        failConnection(error, &output)
        return output
    }

    /// §7.1.7: send a close with the error's code (unless one was sent), then drop the transport.
    private mutating func failConnection(_ error: WebSocketError, _ output: inout ConnectionOutput) {
        guard state != .closed else { return }
        output.append(.failed(error))
        if !closeSent {
            let code = error.closeCode ?? .internalError
            output.appendAnswer(frameBytes(opcode: .close, payload: FrameEncoder.closePayload(code: code, reason: error.reason)))
            closeSent = true
        }
        state = .closed
        output.closeTransport = true
        buffer = ByteQueue()
        assembler.reset()
    }

    private mutating func frameBytes(opcode: Opcode, payload: some Collection<UInt8>, fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
        FrameEncoder.frame(opcode: opcode, payload: payload, fin: fin, rsv1: rsv1, maskingKey: nextMaskingKey())
    }

    /// §5.3: a client masks every frame with a fresh, unpredictable key; a server never masks.
    private mutating func nextMaskingKey() -> UInt32? {
        role == .client ? maskingKeys.next() : nil
    }
}
