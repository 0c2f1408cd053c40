import Foundation
import NIOCore
import NIOPosix
import WebSocketCore

/// The echo scenario's load generator: `connections` WebSocket clients on one event loop (one
/// core), each with `window` messages in flight — send, and send again as each echo returns — for
/// `seconds`. Latency is each message's round trip (echoes return in order).
///
/// Every frame is masked with a fresh key (RFC 6455 §5.3), drawn from a fast generator seeded from
/// the system's: unpredictable to the server, cheap enough not to make the generator the bottleneck.
public struct EchoLoad: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var connections: Int
    public var message: Message
    public var deflate: Bool
    public var version: ProtocolVersion
    public var window: Int
    public var seconds: Double
    public var warmupSeconds: Double

    public init(host: String, port: Int, path: String, connections: Int, message: Message, deflate: Bool = false,
                version: ProtocolVersion = .rfc6455, window: Int = 1, seconds: Double = 10, warmupSeconds: Double = 2) {
        self.host = host; self.port = port; self.path = path; self.connections = connections
        self.message = message; self.deflate = deflate; self.version = version; self.window = max(1, window)
        self.seconds = seconds; self.warmupSeconds = warmupSeconds
    }

    public struct Outcome {
        public var messages: Int
        public var seconds: Double
        public var recorders: [LatencyRecorder]
        public var failures: Int
    }

    /// Runs the load; blocking. Messages and latencies count only after the warm-up.
    public func run(window: MeasuredWindow? = nil) throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let recorder = LatencyRecorder()
        let shared = EchoLoadState()
        let scratch = LoopScratch()
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoClientHandler(load: self, recorder: recorder, state: shared, scratch: scratch))
                }
            }
        var channels: [Channel] = []
        for _ in 0..<connections {
            channels.append(try bootstrap.connect(host: host, port: port).wait())
        }
        // Warm-up, then the measured window: the counters are reset when it opens.
        try loop.scheduleTask(in: .nanoseconds(Int64(warmupSeconds * 1e9))) { window?.open(); shared.startMeasuring(recorder) }.futureResult.wait()
        let start = Date()
        try loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { shared.measuring = false; shared.stopped = true; window?.close() }.futureResult.wait()
        let elapsed = Date().timeIntervalSince(start)
        let (messages, failures) = try loop.submit { (shared.messages, shared.failures) }.wait()
        for channel in channels { try? channel.close().wait() }
        return Outcome(messages: messages, seconds: elapsed, recorders: [recorder], failures: failures)
    }
}

/// Counters shared by the connections of one event loop (touched only on that loop).
final class EchoLoadState: @unchecked Sendable {
    var measuring = false
    var stopped = false
    var messages = 0
    var failures = 0

    func startMeasuring(_ recorder: LatencyRecorder) {
        messages = 0
        recorder.reset()
        measuring = true
    }
}

/// One client connection of the load: handshake, then echo round trips.
final class EchoClientHandler: BenchConnection, @unchecked Sendable {
    private let load: EchoLoad
    private let recorder: LatencyRecorder
    private let state: EchoLoadState
    /// Send times of the messages in flight, oldest first (a ring of `window` entries).
    private var sentAt: [UInt64]
    private var oldest = 0
    /// Echoes that arrived in the current read: as many messages to send once it is over.
    private var due = 0

    init(load: EchoLoad, recorder: LatencyRecorder, state: EchoLoadState, scratch: LoopScratch) {
        self.load = load
        self.recorder = recorder
        self.state = state
        sentAt = Array(repeating: 0, count: load.window)
        super.init(client: BenchClient(host: load.host, port: load.port, path: load.path, version: load.version, deflate: load.deflate),
                   scratch: scratch)
    }

    override func didOpen() {
        for slot in 0..<load.window { sendNext(slot) }
        flush()
    }

    /// An echo, lent (echoes return in order: it answers the oldest message in flight).
    override func didReceive(lent message: MessageView) {
        let slot = oldest
        oldest = (oldest + 1) % sentAt.count
        if state.measuring {
            state.messages += 1
            recorder.record(nanoseconds: DispatchTime.now().uptimeNanoseconds &- sentAt[slot])
        }
        due += 1
    }

    /// The slots this read freed — the `due` before `oldest`, oldest first — become the newest.
    override func didFinishRead() {
        var slot = (oldest - due + sentAt.count) % sentAt.count
        for _ in 0..<due {
            sendNext(slot)
            slot = (slot + 1) % sentAt.count
        }
        due = 0
    }

    override func didReceive(_ event: ConnectionEvent) {
        switch event {
        case .failed, .closeReceived:
            state.failures += 1
        default:
            break
        }
    }

    override func didFail(refused: Bool) { state.failures += 1 }
    override func transportError() { state.failures += 1 }

    private func sendNext(_ slot: Int) {
        guard !state.stopped else { return }
        sentAt[slot] = DispatchTime.now().uptimeNanoseconds
        send(load.message)
    }
}
