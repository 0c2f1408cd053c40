import Foundation
import NIOCore
import NIOPosix
import WebSocketCore

/// The handshake-rate scenario: `concurrency` clients in a loop of connect → opening handshake →
/// closing handshake → TCP close → connect again. Counts completed opening handshakes (101
/// received); latency is from connect to the 101.
public struct HandshakeLoad: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var concurrency: Int
    public var deflate: Bool
    public var version: ProtocolVersion
    public var seconds: Double
    public var warmupSeconds: Double

    public init(host: String, port: Int, path: String, concurrency: Int, deflate: Bool = false, version: ProtocolVersion = .rfc6455,
                seconds: Double = 10, warmupSeconds: Double = 2) {
        self.host = host; self.port = port; self.path = path; self.concurrency = concurrency
        self.deflate = deflate; self.version = version; self.seconds = seconds; self.warmupSeconds = warmupSeconds
    }

    public struct Outcome {
        public var handshakes: Int
        public var seconds: Double
        public var recorder: LatencyRecorder
        public var failures: Int
    }

    public func run(window: MeasuredWindow? = nil) throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let recorder = LatencyRecorder()
        let state = HandshakeLoadState()
        try loop.submit { for _ in 0..<concurrency { self.connect(group: group, state: state, recorder: recorder) } }.wait()
        try loop.scheduleTask(in: .nanoseconds(Int64(warmupSeconds * 1e9))) {
            window?.open()
            state.handshakes = 0
            recorder.reset()
            state.measuring = true
        }.futureResult.wait()
        let start = Date()
        try loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { state.measuring = false; state.stopped = true; window?.close() }.futureResult.wait()
        let elapsed = Date().timeIntervalSince(start)
        return try loop.submit { Outcome(handshakes: state.handshakes, seconds: elapsed, recorder: recorder, failures: state.failures) }.wait()
    }

    /// One more round of the loop for one slot; a slot ends when the run stops.
    func connect(group: EventLoopGroup, state: HandshakeLoadState, recorder: LatencyRecorder) {
        guard !state.stopped else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HandshakeClient(load: self, started: started, state: state, recorder: recorder))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    channel.closeFuture.whenComplete { _ in self.connect(group: group, state: state, recorder: recorder) }
                case .failure:
                    // A connect that fails because the run ended (the group shutting down) is not
                    // retried: scheduling on a loop that has shut down is an error.
                    guard !state.stopped else { return }
                    state.failures += 1
                    // Back off a little: refused connections (a full backlog) must not spin.
                    _ = group.next().scheduleTask(in: .milliseconds(10)) { self.connect(group: group, state: state, recorder: recorder) }
                }
            }
    }
}

final class HandshakeLoadState: @unchecked Sendable {
    var measuring = false
    var stopped = false
    var handshakes = 0
    var failures = 0
}

/// Opens, closes with the closing handshake, and lets the slot start again.
final class HandshakeClient: BenchConnection, @unchecked Sendable {
    private let started: UInt64
    private let state: HandshakeLoadState
    private let recorder: LatencyRecorder

    init(load: HandshakeLoad, started: UInt64, state: HandshakeLoadState, recorder: LatencyRecorder) {
        self.started = started
        self.state = state
        self.recorder = recorder
        super.init(client: BenchClient(host: load.host, port: load.port, path: load.path, version: load.version, deflate: load.deflate))
    }

    override func didOpen() {
        if state.measuring {
            state.handshakes += 1
            recorder.record(nanoseconds: DispatchTime.now().uptimeNanoseconds &- started)
        }
        sendClose()
    }

    override func didReceive(_ event: ConnectionEvent) {
        if case .closeReceived = event { context?.close(promise: nil) }
    }

    override func didFail(refused: Bool) { state.failures += 1 }
}
