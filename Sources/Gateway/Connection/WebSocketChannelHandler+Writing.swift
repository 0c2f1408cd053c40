import Logging
import NIOCore
import Room
import WebSocketCore

/// Writing: frames queued for the end of the loop pass (`OutboundWriter`), one flush per pass.
extension WebSocketChannelHandler {
    func write(_ bytes: [UInt8]) {
        guard context != nil, !bytes.isEmpty else { return }
        write(allocator.buffer(bytes: bytes))
    }

    /// Queues a frame: it reaches the channel at the end of this pass of the event loop, with the
    /// others written in the pass (`flushOutbox`). Counted against the member's and the server's
    /// limits from now until the socket has taken it.
    func write(_ buffer: ByteBuffer) {
        guard context != nil, buffer.readableBytes > 0 else { return }
        let count = buffer.readableBytes
        quiet.noteWrite()
        statistics.bytesOut += count
        if let recorder { recorder.record(.s2c, Array(buffer.readableBytesView)) }
        writer.append(buffer)
        scheduleFlush()
    }

    /// One flush per pass of the event loop, however many frames were written in it.
    func scheduleFlush() {
        guard !writer.flushScheduled, let context else { return }
        writer.flushScheduled = true
        LoopFlusher.current(on: context.eventLoop).schedule(self)
    }

    /// The flush `scheduleFlush` asked for (called by this loop's `LoopFlusher`).
    func flushScheduledOutbox() {
        writer.flushScheduled = false
        flushOutbox()
    }

    /// Hands this pass's frames to the channel (`OutboundWriter.flush`).
    func flushOutbox(completion: EventLoopPromise<Void>? = nil) {
        guard let context else { dropOutbox(); completion?.succeed(); return }
        guard let pass = writer.takePass(allocator: allocator) else { completion?.succeed(); return }
        // Written with no access to `writer` open: a write can re-enter this handler.
        OutboundWriter.write(pass, to: context, completion: completion)
        writer.handedOver(pass, budget: services.budget)
        context.flush()
        refreshChannelBytes()
    }

    /// The socket took (or stopped taking) what was waiting: count again.
    func refreshChannelBytes() {
        guard let context else { return }
        writer.refresh(context, budget: services.budget)
        bridge?.clientWaiting(queuedBytes)
    }

    /// Frames that will never be written (the member is gone or stuck).
    func dropOutbox() {
        writer.drop()
    }

    func writeAndClose(_ bytes: [UInt8]) {
        sendsMessages = false
        guard let context else { dropOutbox(); return }
        let channel = context.channel
        write(bytes)
        let written = channel.eventLoop.makePromise(of: Void.self)
        flushOutbox(completion: written)
        written.futureResult.whenComplete { _ in
            // RFC 9112 §9.6: close in stages. Send FIN, keep reading (input is ignored once closed)
            // until the peer closes or 2 s pass: closing with unread input sends a RST, which can
            // destroy the answer (a 503, a close frame) before the peer has read it.
            channel.close(mode: .output).whenComplete { result in
                if case .failure = result { channel.close(promise: nil); return }
                LoopTimers.current(on: channel.eventLoop).after(.milliseconds(2000)) { channel.close(promise: nil) }
            }
        }
        finish()
    }
}
