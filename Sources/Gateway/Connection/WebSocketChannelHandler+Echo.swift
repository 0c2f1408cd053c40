import NIOCore
import WebSocketCore

/// The echo endpoint of a connection with a shared encoding (`/echo`, most connections of a
/// benchmark): each read's messages echoed from where they lie.
extension WebSocketChannelHandler {
    /// One read: each message lent where it lies in the read buffer and framed from there into
    /// the send buffer, the core's answers (pongs, close) between them in the order of what caused
    /// them — nothing copied out or allocated per message.
    func echoInPlace(_ bytes: UnsafeRawBufferPointer) {
        var echoes = ByteBufferFrameSink(allocator: ConnectionTransport.allocator, spare: transport.lendSpare())   // used by its first frame
        let output = session.receive(bytes, scratch: &LoopEncoder.current.inflateScratch) { delivery in
            switch delivery {
            case .message(let message): echo(message, into: &echoes)
            case .answer(let bytes): echoes.writeFrameBytes(bytes)
            }
        }
        sendsMessages = session.state == .open
        apply(output.connection, echoes: echoes)
        if !finished { transport.keepSpare(echoes.spareAfterwards) }
    }

    /// An echo of a message lent in place, framed by this thread's shared encoder straight into
    /// the read's send buffer (no per-connection compressor is ever created). Only for connections
    /// with a shared encoding; nothing is sent once the connection no longer sends messages.
    func echo(_ message: MessageView, into echoes: inout ByteBufferFrameSink) {
        statistics.messagesIn += 1
        if configuration.logPayloads { log.payload(message.bytes) }
        // `sendsMessages` is what the connection's `send` checks, kept beside `state` (see its declaration).
        guard sendsMessages, let sharedEncoding else { return }
        do {
            try LoopEncoder.current.shared.encode(message, as: sharedEncoding, into: &echoes)
        } catch {
            log.notSent(error)
            return
        }
        statistics.messagesOut += 1
    }
}
