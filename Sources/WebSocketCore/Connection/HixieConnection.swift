/// One hixie-75 or hixie-76 connection after the opening handshake: UTF-8 text frames only, and
/// (hixie-76) the 0xFF 0x00 closing handshake. hixie-75 has no closing handshake: closing is
/// closing the transport.
public struct HixieConnection: WebSocketConnection {
    public let version: ProtocolVersion
    public let role: Role
    public let limits: ConnectionLimits
    public private(set) var state: ConnectionState = .open

    private var buffer = ByteQueue()
    private var parser: HixieFrameParser
    private var closeSent = false
    public var defersCloseReply = false
    private var closing = CloseBookkeeping()
    /// What the peer sent after its close, unread (`CloseBookkeeping`).
    public var bytesAfterClose: Int { closing.bytesAfterClose }

    public init(role: Role, version: ProtocolVersion, limits: ConnectionLimits = ConnectionLimits()) {
        precondition(version.framing == .hixie, "HixieConnection speaks hixie-75/76")
        self.role = role
        self.version = version
        self.limits = limits
        parser = HixieFrameParser(closingHandshakeEnabled: version == .hixie76, maxFrameSize: limits.maxMessageSize)
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> ConnectionOutput {
        read(bytes, { view, output in output.append(.message(view.message())) }, handOver: { _ in })
    }

    /// hixie has no compression: `scratch` is not used.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, scratch: inout InflateScratch,
                                 deliver: (LentDelivery) -> Void) -> ConnectionOutput {
        read(bytes, { view, _ in deliver(.message(view)) }, handOver: { output in output.handAnswers(to: deliver) })
    }

    /// Both `receive`s: each text frame is checked and lent to `deliver` where it lies in the buffer;
    /// `handOver` runs after each answer, where a lending read hands it over at once.
    private mutating func read(_ bytes: UnsafeRawBufferPointer, _ deliver: (MessageView, inout ConnectionOutput) -> Void,
                               handOver: (inout ConnectionOutput) -> Void) -> ConnectionOutput {
        var output = ConnectionOutput()
        guard closing.readBegins(state, incoming: bytes.count) else { return output }
        let wasOpen = state == .open
        var messages = 0
        defer { closing.readEnds(wasOpen: wasOpen, state, messages: messages, buffer: &buffer) }
        buffer.append(contentsOf: bytes)
        do throws(WebSocketError) {
            var valid = true
            while state == .open || state == .closing, let step = try parser.next(&buffer, lendingText: { body in
                valid = UTF8Validator.isValid(body)
                if valid {
                    messages += 1
                    deliver(MessageView(opcode: .text, bytes: body), &output)
                }
            }) {
                switch step {
                case .textLent:
                    guard valid else { throw WebSocketError.hixieInvalidUTF8 }
                case .event(.text):
                    break   // `next(_:lendingText:)` lends text frames instead
                case .event(.discarded):
                    break  // §5.3: frames of other types are read and discarded
                case .event(.closingHandshake):
                    output.append(.closeReceived(code: nil, reason: ""))
                    closing.peerClosedConnection()
                    if !closeSent && defersCloseReply {
                        state = .peerClosed   // answered by `close` when the shell's other leg is done
                        continue
                    }
                    if !closeSent {
                        output.appendAnswer(HixieFrameEncoder.closingHandshake)
                        closeSent = true
                    }
                    state = .closed
                    output.closeTransport = true
                    handOver(&output)
                }
            }
        } catch {
            failConnection(error, &output)
            handOver(&output)
        }
        return output
    }

    public mutating func send(_ message: Message) throws(WebSocketError) -> [UInt8] {
        guard state == .open || state == .peerClosed || closing.closedByLastRead else { throw .connectionNotOpen }
        guard case .text(let text) = message else { throw .binaryNotSupportedByFraming }
        return HixieFrameEncoder.text(text)
    }

    /// hixie frames are never fragmented: the message goes whole.
    public mutating func send(_ message: Message, fragmentSize: Int?) throws(WebSocketError) -> [UInt8] {
        try send(message)
    }

    public mutating func ping(_ payload: [UInt8]) throws(WebSocketError) -> [UInt8] {
        throw .pingNotSupportedByFraming
    }

    public var sharedEncoding: SharedEncoding? { .hixie }

    @discardableResult
    public mutating func releaseIdleMemory() -> Int {
        buffer.releaseIfEmpty()
        return 0
    }

    /// hixie-76 sends 0xFF 0x00 and waits for the peer's; hixie-75 just closes the transport.
    /// There is no code or reason on the wire.
    public mutating func close(code: CloseCode? = .normalClosure, reason: String = "") throws(WebSocketError) -> ConnectionOutput {
        closing.localAction()
        guard state == .open || state == .peerClosed else { throw .connectionNotOpen }
        closeSent = true
        if state == .peerClosed {
            state = .closed   // the held 0xFF 0x00: the closing handshake is complete
            return ConnectionOutput(outbound: HixieFrameEncoder.closingHandshake, closeTransport: role == .server)
        }
        if version == .hixie75 {
            state = .closed
            return ConnectionOutput(closeTransport: true)
        }
        state = .closing
        return ConnectionOutput(outbound: HixieFrameEncoder.closingHandshake)
    }

    public mutating func fail(_ error: WebSocketError) -> ConnectionOutput {
        closing.localAction()
        var output = ConnectionOutput()
        failConnection(error, &output)
        return output
    }

    private mutating func failConnection(_ error: WebSocketError, _ output: inout ConnectionOutput) {
        guard state != .closed else { return }
        output.append(.failed(error))
        if !closeSent && version == .hixie76 {
            output.appendAnswer(HixieFrameEncoder.closingHandshake)
            closeSent = true
        }
        state = .closed
        output.closeTransport = true
        buffer = ByteQueue()
    }
}
