/// A received message lent where it lies — in the connection's read buffer, unmasked in place, or
/// in the buffer it was assembled in — valid only during the call that hands it out.
///
/// The gateway echoes a message straight from here into its send buffer: no copy of the payload
/// and no allocation per message. `message()` copies it out when it must outlive the call.
public struct MessageView {
    /// `.text` (bytes already checked as UTF-8) or `.binary`.
    public let opcode: Opcode
    public let bytes: UnsafeRawBufferPointer

    init(opcode: Opcode, bytes: UnsafeRawBufferPointer) {
        self.opcode = opcode
        self.bytes = bytes
    }

    public var isText: Bool { opcode == .text }

    /// The message as a value of its own (one allocation: the `String` or the array).
    public func message() -> Message {
        guard isText else { return .binary(Array(bytes)) }
        // Straight into the String's storage: no intermediate array.
        return .text(String(unsafeUninitializedCapacity: bytes.count) { storage in
            UnsafeMutableRawBufferPointer(storage).copyMemory(from: bytes)
            return bytes.count
        })
    }
}

/// How a message left the assembler: lent in place, or assembled (fragmented or compressed
/// messages, whose bytes had to be gathered anyway).
enum ReceivedMessage {
    case inPlace(MessageView)
    case assembled(Opcode, [UInt8])

    /// As a value: the lent one copied, the assembled one's bytes taken as they are.
    var message: Message {
        switch self {
        case .inPlace(let view): return view.message()
        case .assembled(let opcode, let bytes): return MessageAssembler.message(opcode, bytes)
        }
    }

    /// As a view: the lent one as it is, the assembled one lent from its own storage.
    func withView<R>(_ body: (MessageView) -> R) -> R {
        switch self {
        case .inPlace(let view):
            return body(view)
        case .assembled(let opcode, let bytes):
            return bytes.withUnsafeBytes { body(MessageView(opcode: opcode, bytes: $0)) }
        }
    }
}
