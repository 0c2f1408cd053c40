import Foundation
import NIOCore
import NIOPosix
import WebSocketCore

/// The no-loss soak: members of every framing (RFC 6455, RFC 6455 + permessage-deflate, hixie-76)
/// in one room send sequence-numbered lines in the tutorial's protocol at a steady rate while some
/// of them leave (closing handshake) and come back. Afterwards every member that stayed must have
/// received every line exactly once — including the lines of members that left, sent before their
/// close — and all of them in one and the same order.
public struct SoakLoad: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    /// Members that stay for the whole run; they are the ones checked.
    public var stayers: Int
    /// Members that leave and come back, every `churnSeconds` or so.
    public var churners: Int
    public var messagesPerSecondPerMember: Double
    public var seconds: Double
    public var churnSeconds: Double

    public init(host: String, port: Int, path: String = "/chat", stayers: Int, churners: Int,
                messagesPerSecondPerMember: Double, seconds: Double, churnSeconds: Double = 2) {
        self.host = host; self.port = port; self.path = path; self.stayers = stayers; self.churners = churners
        self.messagesPerSecondPerMember = messagesPerSecondPerMember; self.seconds = seconds; self.churnSeconds = churnSeconds
    }

    public struct Report: Codable, Sendable {
        public var members: Int
        public var seconds: Double
        public var sent: Int
        public var reconnects: Int
        /// Lines a staying member should have received, summed over the staying members.
        public var expectedDeliveries: Int
        public var delivered: Int
        public var lost: Int
        public var duplicated: Int
        /// Staying members whose order differs from the first staying member's.
        public var orderMismatches: Int
        /// Connections that ended without a close code (nobody told them why).
        public var untoldDisconnects: Int
        public var failures: Int
        public var ok: Bool { lost == 0 && duplicated == 0 && orderMismatches == 0 && untoldDisconnects == 0 && failures == 0 }
    }

    public func run() throws -> Report {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let book = SoakBook()
        let versions: [(ProtocolVersion, Bool)] = [(.rfc6455, false), (.rfc6455, true), (.hixie76, false)]
        func connect(_ name: String, index: Int) -> EventLoopFuture<Channel> {
            let (version, deflate) = versions[index % versions.count]
            return ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SoakMember(name: name, load: self, version: version, deflate: deflate, book: book))
                    }
                }
                .connect(host: host, port: port)
        }
        // Everyone joins before anyone speaks, so each staying member is owed every line.
        var stayerChannels: [Channel] = []
        for i in 0..<stayers { stayerChannels.append(try connect("s\(i)", index: i).wait()) }
        var churnerChannels: [Channel?] = []
        for i in 0..<churners { churnerChannels.append(try connect("c\(i).0", index: i + 1).wait()) }
        let joined = Date().addingTimeInterval(10)
        while try loop.submit({ book.open }).wait() < stayers + churners, Date() < joined { Thread.sleep(forTimeInterval: 0.02) }
        try loop.submit { book.speaking = true }.wait()

        // Churn: a churner closes (closing handshake) and a new connection takes its place.
        let end = Date().addingTimeInterval(seconds)
        var generation = Array(repeating: 0, count: churners)
        var reconnects = 0
        while Date() < end {
            Thread.sleep(forTimeInterval: min(churnSeconds / Double(max(churners, 1)), end.timeIntervalSinceNow > 0 ? end.timeIntervalSinceNow : 0))
            guard churners > 0, Date() < end else { continue }
            let i = Int.random(in: 0..<churners)
            if let channel = churnerChannels[i] {
                try? loop.submit { book.leave(channel) }.wait()
                churnerChannels[i] = nil
            } else {
                generation[i] += 1
                churnerChannels[i] = try? connect("c\(i).\(generation[i])", index: i + 1).wait()
                reconnects += 1
            }
        }
        try loop.submit { book.speaking = false }.wait()
        // Drain: wait until every staying member holds as many lines as were sent (or 15 s pass —
        // then what is missing is lost), not a fixed pause that a busy machine could outrun.
        let drained = Date().addingTimeInterval(15)
        while Date() < drained {
            let (sent, held) = try loop.submit { (book.sent.count, book.received.values.reduce(0) { $0 + $1.count }) }.wait()
            if held >= sent * stayers { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.3)  // and a moment for any duplicate to show up
        let report = try loop.submit { book.report(stayers: stayerChannels.count, seconds: self.seconds, reconnects: reconnects) }.wait()
        for channel in stayerChannels + churnerChannels.compactMap({ $0 }) { try? channel.close().wait() }
        return report
    }
}

/// What every member sent and received (touched only on the generator's event loop).
final class SoakBook: @unchecked Sendable {
    var speaking = false
    var open = 0
    var sent: [String] = []                       // "name#seq", in the order written
    var received: [String: [String]] = [:]        // staying member → lines in arrival order
    var untold = 0
    var failures = 0

    func leave(_ channel: Channel) {
        guard let member = try? channel.pipeline.syncOperations.handler(type: SoakMember.self) else { return }
        member.leave()
    }

    func report(stayers: Int, seconds: Double, reconnects: Int) -> SoakLoad.Report {
        let stayerNames = received.keys.filter { $0.hasPrefix("s") }.sorted()
        let expected = Set(sent)
        var lost = 0, duplicated = 0, mismatches = 0, delivered = 0
        let reference = stayerNames.first.map { received[$0] ?? [] } ?? []
        for name in stayerNames {
            let lines = received[name] ?? []
            delivered += lines.count
            let unique = Set(lines)
            duplicated += lines.count - unique.count
            lost += expected.subtracting(unique).count
            if lines != reference { mismatches += 1 }
        }
        return SoakLoad.Report(members: stayers, seconds: seconds, sent: sent.count, reconnects: reconnects,
                               expectedDeliveries: sent.count * stayerNames.count, delivered: delivered, lost: lost,
                               duplicated: duplicated, orderMismatches: mismatches, untoldDisconnects: untold, failures: failures)
    }
}

/// One member: joins, speaks at the load's rate while the book says so, records every line.
final class SoakMember: BenchConnection, @unchecked Sendable {
    let name: String
    private let load: SoakLoad
    private let book: SoakBook
    private var sequence = 0
    private var timer: RepeatedTask?
    private var closing = false
    private var closeReceived = false

    init(name: String, load: SoakLoad, version: ProtocolVersion, deflate: Bool, book: SoakBook) {
        self.name = name
        self.load = load
        self.book = book
        super.init(client: BenchClient(host: load.host, port: load.port, path: load.path, version: version, deflate: deflate))
    }

    override func didOpen() {
        book.open += 1
        guard let context else { return }
        let period = TimeAmount.nanoseconds(Int64(1e9 / max(load.messagesPerSecondPerMember, 0.1)))
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64.random(in: 0...200)), delay: period) { [weak self] _ in
            self?.speak()
        }
    }

    override func didReceive(_ event: ConnectionEvent) {
        switch event {
        case .message(let message):
            guard name.hasPrefix("s"), case .text(let text) = message, let line = Self.line(text) else { return }
            book.received[name, default: []].append(line)
        case .closeReceived:
            closeReceived = true
        case .failed:
            book.failures += 1
        default:
            break
        }
    }

    override func didFail(refused: Bool) { book.failures += 1 }
    override func transportError() { book.failures += 1 }

    /// Sends the next numbered line, in the tutorial's exact JSON.
    private func speak() {
        guard book.speaking, !closing, context != nil else { return }
        sequence += 1
        let id = "\(name)#\(sequence)"
        let inner = #"{\"from\":\"\#(name)\",\"message\":\"\#(id)\"}"#
        guard send(.text(#"{"action":"ctrl/chat/out","msg":"\#(inner)"}"#)) else { return }
        book.sent.append(id)
        flush()
    }

    /// Leaves with the closing handshake: every line written before it must still reach the room.
    func leave() {
        guard !closing, context != nil, client.isOpen else { return }
        closing = true
        timer?.cancel()
        sendClose()
        flush()
        book.open -= 1
    }

    override func connectionClosed() {
        timer?.cancel()
        // A staying member is never closed by the server in a healthy run; if it is, it must have been told.
        if !closing { book.open -= 1; if !closeReceived && name.hasPrefix("s") { book.untold += 1 } }
    }

    /// "name#seq" from a tutorial-dialect line: {"action":"ws/chat/in","msg":{"from":…,"message":…}}.
    static func line(_ text: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let msg = object["msg"] as? [String: Any], let message = msg["message"] as? String else { return nil }
        return message
    }
}
