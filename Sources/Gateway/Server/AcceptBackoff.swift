import Logging
import NIOCore
import NIOPosix

/// What the listener does when `accept()` fails for lack of resources — EMFILE/ENFILE when the
/// fd limit is reached, ENOBUFS/ENOMEM.
///
/// NIO leaves such a connection in the kernel's backlog and keeps the listening socket armed, so
/// the event loop would retry `accept()` at once, forever — a full core of failed `accept4`
/// calls for as long as the limit holds (NIO's own `AcceptBackoffHandler`
/// does not help there: it delays `read()` calls that the failed accept never makes). This
/// handler turns auto-read off, which disarms the socket, and back on after `retryDelay`; the
/// backlog is accepted as soon as descriptors are free again.
final class AcceptBackoff: ChannelInboundHandler {
    typealias InboundIn = Channel

    /// Between accept retries while the error lasts: short, so a freed descriptor is used quickly;
    /// long enough that a saturated server spends nothing on retries.
    static let retryDelay = TimeAmount.milliseconds(250)
    private static let warningInterval = TimeAmount.seconds(Int64(10))

    private let logger: Logger
    private var paused = false
    private var lastWarning: NIODeadline?

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let error = error as? IOError, Self.isResourceShortage(error.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        let now = NIODeadline.now()
        if lastWarning.map({ now - $0 >= Self.warningInterval }) ?? true {
            lastWarning = now   // one warning per 10 s while it lasts, not one per retry
            logger.warning("cannot accept connections", metadata: [
                "error": "\(error)", "retryMilliseconds": "\(Self.retryDelay.nanoseconds / 1_000_000)",
                "hint": "raise the file-descriptor limit (ulimit -n) or lower --max-connections",
            ])
        }
        guard !paused, let options = context.channel.syncOptions else { return }
        paused = true
        try? options.setOption(.autoRead, value: false)
        let channel = NIOLoopBound((self, context.channel), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.retryDelay) {
            let (handler, server) = channel.value
            handler.paused = false
            try? server.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    static func isResourceShortage(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }
}
