import NIOPosix
import WebSocketCore

/// The `SharedEncoder` (and its compressors) of one thread — each event loop has its own — for
/// room lines and echoes, and the scratch its connections inflate lent messages into.
/// Thread-local: an instance is only ever touched by the thread that made it.
final class LoopEncoder: @unchecked Sendable {
    var shared = SharedEncoder()
    var inflateScratch = InflateScratch()

    private static let perLoop = LoopLocal<LoopEncoder>()

    static var current: LoopEncoder {
        perLoop.current { LoopEncoder() }
    }
}
