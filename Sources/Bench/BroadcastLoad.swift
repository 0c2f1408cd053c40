import Foundation
import NIOCore
import NIOPosix
import WebSocketCore

/// The room-broadcast scenario: `members` clients join a room that speaks the tutorial's protocol
/// (Passerelle's `/chat`, or bench/servers' node and Python rooms); `senders` of them send chat
/// lines, each keeping `window` of its own lines in flight — it sends the next when it receives
/// its own copy back (the room delivers to every member, sender included). Every delivery to
/// every member counts; latency is a sender's round trip to its own copy.
public struct BroadcastLoad: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var members: Int
    public var senders: Int
    public var window: Int
    public var messageBytes: Int
    public var deflate: Bool
    public var seconds: Double
    public var warmupSeconds: Double
    /// More instances of the same room (a cluster): member i connects to the i-th of
    /// (host, port) followed by these, round robin, so senders and receivers sit on every instance.
    public var moreEndpoints: [(host: String, port: Int)] = []

    /// Where member `index` connects.
    func endpoint(_ index: Int) -> (host: String, port: Int) {
        let all = [(host, port)] + moreEndpoints
        return all[index % all.count]
    }

    public init(host: String, port: Int, path: String, members: Int, senders: Int, window: Int = 1, messageBytes: Int = 20,
                deflate: Bool = false, seconds: Double = 10, warmupSeconds: Double = 2) {
        self.host = host; self.port = port; self.path = path; self.members = members
        self.senders = min(senders, members); self.window = max(1, window); self.messageBytes = messageBytes
        self.deflate = deflate; self.seconds = seconds; self.warmupSeconds = warmupSeconds
    }

    /// `{"action":"ws/chat/in","msg":{"from":"` — what every room delivery starts with; the sender's
    /// name follows, so a member finds its own lines without parsing JSON.
    static let deliveryPrefix = Array(#"{"action":"ws/chat/in","msg":{"from":""#.utf8)

    /// The tutorial page's exact frame for a line of `bytes` letters from `name`.
    static func line(from name: String, bytes: Int) -> String {
        let text = String(repeating: "a", count: max(1, bytes))
        return #"{"action":"ctrl/chat/out", "msg":"{\"from\":\""# + name + #"\", \"message\":\""# + text + #"\"}"}"#
    }

    public struct Outcome {
        public var deliveries: Int
        public var lines: Int
        public var seconds: Double
        public var recorder: LatencyRecorder
        public var failures: Int
        public var joined: Int
    }

    /// Runs the load; blocking. Counts only after every member joined and the warm-up passed.
    public func run(joinTimeout: Double = 60, window: MeasuredWindow? = nil) throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let recorder = LatencyRecorder()
        let state = BroadcastLoadState()
        let scratch = LoopScratch()
        var channels: [Channel] = []
        for index in 0..<members {
            let name = index < senders ? "s\(index)" : "m\(index)"
            let bootstrap = ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let member = BroadcastMember(load: self, index: index, name: name, sends: index < senders, recorder: recorder, state: state,
                                                 scratch: scratch)
                        try channel.pipeline.syncOperations.addHandler(member)
                    }
                }
            let (memberHost, memberPort) = endpoint(index)
            channels.append(try bootstrap.connect(host: memberHost, port: memberPort).wait())
        }
        defer { for channel in channels { try? channel.close().wait() } }
        let deadline = Date().addingTimeInterval(joinTimeout)
        while try loop.submit({ state.joined + state.failures }).wait() < members && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        // Let the room register the last joins (presence is handled before lines), then start.
        Thread.sleep(forTimeInterval: 0.2)
        try loop.submit { state.start() }.wait()
        try loop.scheduleTask(in: .nanoseconds(Int64(warmupSeconds * 1e9))) { window?.open(); state.startMeasuring(recorder) }.futureResult.wait()
        let start = Date()
        try loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { state.measuring = false; state.stopped = true; window?.close() }.futureResult.wait()
        let elapsed = Date().timeIntervalSince(start)
        return try loop.submit {
            Outcome(deliveries: state.deliveries, lines: state.lines, seconds: elapsed, recorder: recorder, failures: state.failures,
                    joined: state.joined)
        }.wait()
    }
}

/// Counters and the senders to start, shared by the members of one event loop (touched only on it).
final class BroadcastLoadState: @unchecked Sendable {
    var measuring = false
    var stopped = false
    var deliveries = 0
    var lines = 0
    var failures = 0
    var joined = 0
    var senders: [BroadcastMember] = []

    func start() { for sender in senders { sender.sendWindow() } }

    func startMeasuring(_ recorder: LatencyRecorder) {
        deliveries = 0
        lines = 0
        recorder.reset()
        measuring = true
    }
}

/// One member: handshake, then counts deliveries; a sender keeps its window of own lines in flight.
final class BroadcastMember: BenchConnection, @unchecked Sendable {
    private let load: BroadcastLoad
    private let sends: Bool
    private let recorder: LatencyRecorder
    private let state: BroadcastLoadState
    private let ownPrefix: [UInt8]
    private let line: Message
    private var sentAt: [UInt64] = []   // FIFO of own lines in flight (the room keeps one order)
    private var sentHead = 0
    /// Own lines that came back in the current read: as many to send once it is over.
    private var due = 0

    init(load: BroadcastLoad, index: Int, name: String, sends: Bool, recorder: LatencyRecorder, state: BroadcastLoadState,
         scratch: LoopScratch) {
        self.load = load
        self.sends = sends
        self.recorder = recorder
        self.state = state
        ownPrefix = BroadcastLoad.deliveryPrefix + Array(name.utf8) + [UInt8(ascii: "\"")]
        line = .text(BroadcastLoad.line(from: name, bytes: load.messageBytes))
        let (host, port) = load.endpoint(index)
        super.init(client: BenchClient(host: host, port: port, path: load.path, version: .rfc6455, deflate: load.deflate),
                   scratch: scratch)
    }

    override func didOpen() {
        state.joined += 1
        if sends { state.senders.append(self) }
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

    /// A room line, lent where it lies: every text message counts as a delivery; a sender finds
    /// its own lines by their prefix (no JSON parsing) and answers each once the read is over.
    override func didReceive(lent message: MessageView) {
        guard message.isText else { return }
        if state.measuring { state.deliveries += 1 }
        guard sends, sentHead + due < sentAt.count else { return }
        let bytes = message.bytes
        guard bytes.count > ownPrefix.count, bytes.starts(with: ownPrefix) else { return }
        if state.measuring {
            state.lines += 1
            recorder.record(nanoseconds: DispatchTime.now().uptimeNanoseconds &- sentAt[sentHead + due])
        }
        due += 1
    }

    /// One new line for each own line that came back.
    override func didFinishRead() {
        guard due > 0 else { return }
        let returned = due
        due = 0
        sentHead += returned
        if sentHead > 1024 { sentAt.removeFirst(sentHead); sentHead = 0 }
        for _ in 0..<returned { sendOne() }
    }

    /// Fills the window (at the start).
    func sendWindow() {
        for _ in 0..<load.window { sendOne() }
        flush()
    }

    private func sendOne() {
        guard !state.stopped, send(line) else { return }
        sentAt.append(DispatchTime.now().uptimeNanoseconds)
    }
}
