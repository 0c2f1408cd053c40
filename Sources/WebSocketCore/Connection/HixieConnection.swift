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

    public init(role: Role, version: ProtocolVersion, limits: ConnectionLimits = ConnectionLimits()) {
        precondition(version.framing == .hixie, "HixieConnection speaks hixie-75/76")
        self.role = role
        self.version = version
        self.limits = limits
        parser = HixieFrameParser(closingHandshakeEnabled: version == .hixie76, maxFrameSize: limits.maxMessageSize)
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> ConnectionOutput {
        var output = ConnectionOutput()
        guard state != .closed else { return output }
        buffer.append(contentsOf: bytes)
        do throws(WebSocketError) {
            while state != .closed, let event = try parser.next(&buffer) {
                switch event {
                case .text(let body):
                    guard UTF8Validator.isValid(body) else { throw WebSocketError.hixieInvalidUTF8 }
                    output.events.append(.message(.text(String(decoding: body, as: UTF8.self))))
                case .discarded:
                    break  // §5.3: frames of other types are read and discarded
                case .closingHandshake:
                    output.events.append(.closeReceived(code: nil, reason: ""))
                    if !closeSent {
                        output.outbound += HixieFrameEncoder.closingHandshake
                        closeSent = true
                    }
                    state = .closed
                    output.closeTransport = true
                }
            }
        } catch {
            failConnection(error, &output)
        }
        return output
    }

    public mutating func send(_ message: Message) throws(WebSocketError) -> [UInt8] {
        guard state == .open else { throw .connectionNotOpen }
        guard case .text(let text) = message else { throw .binaryNotSupportedByFraming }
        return HixieFrameEncoder.text(text)
    }

    public var sharedEncoding: SharedEncoding? { .hixie }

    /// hixie-76 sends 0xFF 0x00 and waits for the peer's; hixie-75 just closes the transport.
    /// There is no code or reason on the wire.
    public mutating func close(code: CloseCode = .normalClosure, reason: String = "") throws(WebSocketError) -> ConnectionOutput {
        guard state == .open else { throw .connectionNotOpen }
        closeSent = true
        if version == .hixie75 {
            state = .closed
            return ConnectionOutput(closeTransport: true)
        }
        state = .closing
        return ConnectionOutput(outbound: HixieFrameEncoder.closingHandshake)
    }

    public mutating func fail(_ error: WebSocketError) -> ConnectionOutput {
        var output = ConnectionOutput()
        failConnection(error, &output)
        return output
    }

    private mutating func failConnection(_ error: WebSocketError, _ output: inout ConnectionOutput) {
        guard state != .closed else { return }
        output.events.append(.failed(error))
        if !closeSent && version == .hixie76 {
            output.outbound += HixieFrameEncoder.closingHandshake
            closeSent = true
        }
        state = .closed
        output.closeTransport = true
        buffer = ByteQueue()
    }
}
