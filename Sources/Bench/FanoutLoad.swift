import Foundation
import NIOCore
import NIOPosix
import WebSocketCore

/// A fleet in one room, as one load generator's share of it: `members` connections of the kinds
/// `kinds` names in turn, spread round robin over the room's instances (`endpoints`), opened
/// `concurrency` at a time from the local `sources` addresses in turn (each source address has its
/// own ephemeral ports towards each instance). Then one line, sent by one member, is timed until
/// every member has it.
///
/// Several generator processes on one machine measure one room together: the line carries its
/// send time on the system's monotonic clock, which every process reads alike.
public final class FanoutLoad: @unchecked Sendable {
    public struct Endpoint: Sendable {
        public var host: String, port: Int, path: String
        public init(host: String, port: Int, path: String) { self.host = host; self.port = port; self.path = path }
    }

    public let endpoints: [Endpoint]
    public let members: Int
    public let kinds: [(version: ProtocolVersion, deflate: Bool)]
    public let sources: [String]
    public let concurrency: Int
    /// Members whose connection closes come back, with exponential backoff and full jitter.
    public let reconnect: Bool
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var loop: EventLoop { group.next() }
    let state = FanoutState()
    /// Members read their messages where they lie (no String per message): a generator's reading
    /// is part of the time until the last member has the line.
    let scratch = LoopScratch()

    /// Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h), which Glibc's headers do not name.
    static let ipBindAddressNoPort: CInt = 24

    /// The marker that starts the timed line's message; the send time in nanoseconds follows.
    static let marker = "fanout-"
    static let markerBytes = Array(marker.utf8)

    public init(endpoints: [Endpoint], members: Int, kinds: [(version: ProtocolVersion, deflate: Bool)],
                sources: [String], concurrency: Int, reconnect: Bool = false) {
        self.reconnect = reconnect
        self.endpoints = endpoints
        self.members = members
        self.kinds = kinds
        self.sources = sources
        self.concurrency = concurrency
    }

    deinit { try? group.syncShutdownGracefully() }

    public struct Joined: Sendable {
        public var open = 0, refused = 0, failed = 0
        public var seconds = 0.0
        /// Each member's time from its connect to the end of its opening handshake.
        public var handshakeNanos: [UInt64] = []
    }

    public struct Delivered: Sendable {
        public var received = 0
        /// Each member's time from the send to its copy of the line.
        public var latencyNanos: [UInt64] = []
    }

    /// Opens every member, `concurrency` at a time; returns once each is open, refused or failed
    /// (or at `timeout`).
    public func join(timeout: Double) -> Joined {
        let started = DispatchTime.now().uptimeNanoseconds
        loop.execute {
            for _ in 0..<min(self.concurrency, self.members) { self.connectNext() }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let done = (try? loop.submit { self.state.settled >= self.members }.wait()) ?? false
            if done { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return (try? loop.submit {
            Joined(open: self.state.open, refused: self.state.refused, failed: self.state.failed,
                   seconds: Double((self.state.lastSettled ?? DispatchTime.now().uptimeNanoseconds) - started) / 1e9,
                   handshakeNanos: self.state.handshakeNanos)
        }.wait()) ?? Joined()
    }

    /// On the loop: starts the next member's connection, if any is left.
    private func connectNext() {
        let index = state.started
        guard index < members else { return }
        state.started += 1
        connect(slot: index, rejoin: nil)
    }

    /// On the loop: opens the connection of member `slot` (its instance, kind and source address
    /// follow from it), first or again after a drop.
    private func connect(slot index: Int, rejoin: FanoutMember.Rejoin?) {
        let endpoint = endpoints[index % endpoints.count]
        let kind = kinds[index % kinds.count]
        let member = FanoutMember(load: self, slot: index, rejoin: rejoin,
                                  client: BenchClient(host: endpoint.host, port: endpoint.port, path: endpoint.path,
                                                      version: kind.version, deflate: kind.deflate))
        var bootstrap = ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(member) }
            }
        if !sources.isEmpty, let address = try? SocketAddress(ipAddress: sources[index % sources.count], port: 0) {
            // IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect(), per destination, by the
            // kernel's connect-time allocator; bind() alone searches the whole range each time
            // (quadratic over a fleet: 10 s of system time for 16,000 members from one address).
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: Self.ipBindAddressNoPort)), value: 1)
                .bind(to: address)
        }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).whenComplete { result in
            switch result {
            case .success(let channel): self.state.channels[index] = channel   // a rejoin's channel replaces the dropped one
            case .failure: self.settled(member, outcome: .failed)
            }
        }
    }

    enum Outcome { case open, refused, failed }

    /// On the loop: a member's handshake ended; the next one starts.
    func settled(_ member: FanoutMember, outcome: Outcome) {
        guard !member.settled else { return }
        member.settled = true
        if let rejoin = member.rejoin {
            rejoined(member, rejoin: rejoin, outcome: outcome)
            return
        }
        switch outcome {
        case .open:
            state.open += 1
            state.handshakeNanos.append(DispatchTime.now().uptimeNanoseconds - member.connectStarted)
            state.members.append(member)
        case .refused: state.refused += 1
        case .failed: state.failed += 1
        }
        state.settled += 1
        if state.settled == members { state.lastSettled = DispatchTime.now().uptimeNanoseconds }
        connectNext()
    }

    // MARK: Reconnect storm

    /// Full-jitter exponential backoff (a uniform wait below min(cap, base × 2^attempt)).
    static let backoffBase = 0.2, backoffCap = 5.0

    /// On the loop: an open member's connection closed (its instance went away).
    func dropped(_ member: FanoutMember) {
        guard reconnect, !state.closing else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        state.down += 1
        state.drops += 1
        if state.firstDrop == nil { state.firstDrop = now }
        retry(slot: member.slot, rejoin: FanoutMember.Rejoin(downSince: now, attempt: 0))
    }

    private func retry(slot: Int, rejoin: FanoutMember.Rejoin) {
        let ceiling = min(Self.backoffCap, Self.backoffBase * pow(2, Double(rejoin.attempt)))
        let wait = Double.random(in: 0..<ceiling)
        loop.scheduleTask(in: .nanoseconds(Int64(wait * 1e9))) { self.connect(slot: slot, rejoin: rejoin) }
    }

    private func rejoined(_ member: FanoutMember, rejoin: FanoutMember.Rejoin, outcome: Outcome) {
        switch outcome {
        case .open:
            let now = DispatchTime.now().uptimeNanoseconds
            state.down -= 1
            state.downNanos.append(now - rejoin.downSince)
            state.lastRejoin = now
            state.members.append(member)
        case .refused:
            state.refusedAttempts += 1
            retry(slot: member.slot, rejoin: FanoutMember.Rejoin(downSince: rejoin.downSince, attempt: rejoin.attempt + 1))
        case .failed:
            state.failedAttempts += 1
            retry(slot: member.slot, rejoin: FanoutMember.Rejoin(downSince: rejoin.downSince, attempt: rejoin.attempt + 1))
        }
    }

    public struct Storm: Sendable {
        public var drops = 0, stillDown = 0, refusedAttempts = 0, failedAttempts = 0
        /// From the first drop to the last member back.
        public var seconds = 0.0
        /// Each dropped member's time from its drop to its return.
        public var downNanos: [UInt64] = []
    }

    /// Waits until no member is down (at least `settle` seconds after the call, so that drops that
    /// are still arriving count), or `timeout`; returns what the storm did.
    public func awaitStorm(settle: Double, timeout: Double) -> Storm {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            let down = (try? loop.submit { self.state.down }.wait()) ?? 0
            if down == 0 && Date().timeIntervalSince(start) >= settle { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (try? loop.submit {
            Storm(drops: self.state.drops, stillDown: self.state.down, refusedAttempts: self.state.refusedAttempts,
                  failedAttempts: self.state.failedAttempts,
                  seconds: self.state.firstDrop.map { first in Double((self.state.lastRejoin ?? first) - first) / 1e9 } ?? 0,
                  downNanos: self.state.downNanos)
        }.wait()) ?? Storm()
    }

    /// One member sends the timed line (`send`), then every member's copy is awaited (up to `timeout`).
    public func deliver(send: Bool, expected: Int? = nil, timeout: Double) -> Delivered {
        let wanted = expected ?? state.open
        if send {
            loop.execute {
                guard let sender = self.state.members.first else { return }
                let now = DispatchTime.now().uptimeNanoseconds
                let inner = #"{\"from\":\"fanout\",\"message\":\"\#(Self.marker)\#(now)\"}"#
                if sender.send(.text(#"{"action":"ctrl/chat/out","msg":"\#(inner)"}"#)) { sender.flush() }
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let received = (try? loop.submit { self.state.latencyNanos.count }.wait()) ?? 0
            if received >= wanted { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return (try? loop.submit { Delivered(received: self.state.latencyNanos.count, latencyNanos: self.state.latencyNanos) }.wait())
            ?? Delivered()
    }

    public func closeAll() {
        _ = try? loop.submit {
            self.state.closing = true
            for channel in self.state.channels.values { channel.close(promise: nil) }
        }.wait()
        Thread.sleep(forTimeInterval: 0.5)
    }
}

/// The load's counts, touched on its event loop only.
final class FanoutState: @unchecked Sendable {
    var started = 0, settled = 0, open = 0, refused = 0, failed = 0
    var lastSettled: UInt64?
    var handshakeNanos: [UInt64] = []
    var latencyNanos: [UInt64] = []
    var members: [FanoutMember] = []
    /// Each member's channel by slot: the latest one, once a member rejoins.
    var channels: [Int: Channel] = [:]
    var closing = false
    // The reconnect storm.
    var down = 0, drops = 0, refusedAttempts = 0, failedAttempts = 0
    var firstDrop: UInt64?, lastRejoin: UInt64?
    var downNanos: [UInt64] = []
}

final class FanoutMember: BenchConnection, @unchecked Sendable {
    /// A member coming back after its connection dropped.
    struct Rejoin { var downSince: UInt64; var attempt: Int }

    private unowned let load: FanoutLoad
    let slot: Int
    let rejoin: Rejoin?
    let connectStarted = DispatchTime.now().uptimeNanoseconds
    var settled = false
    private var opened = false
    private var received = false

    init(load: FanoutLoad, slot: Int, rejoin: Rejoin?, client: BenchClient) {
        self.load = load
        self.slot = slot
        self.rejoin = rejoin
        super.init(client: client, scratch: load.scratch)
    }

    override func didOpen() {
        opened = true
        load.settled(self, outcome: .open)
    }

    override func didFail(refused: Bool) { load.settled(self, outcome: refused ? .refused : .failed) }

    override func transportError() { load.settled(self, outcome: .failed) }

    /// Closed before its handshake ended, or dropped once open (it comes back when the load reconnects).
    override func connectionClosed() {
        if opened { load.dropped(self) } else { load.settled(self, outcome: .failed) }
    }

    override func didReceive(lent message: MessageView) {
        guard !received, message.isText, let sent = Self.sendTime(in: message.bytes) else { return }
        received = true
        let now = DispatchTime.now().uptimeNanoseconds
        load.state.latencyNanos.append(now >= sent ? now - sent : 0)
    }

    /// The send time the timed line carries, whatever dialect the room wrapped it in.
    static func sendTime(in bytes: UnsafeRawBufferPointer) -> UInt64? {
        let marker = FanoutLoad.markerBytes
        guard bytes.count > marker.count else { return nil }
        var start = 0
        while start + marker.count < bytes.count {
            if bytes[start] == marker[0], (1..<marker.count).allSatisfy({ bytes[start + $0] == marker[$0] }) {
                var value: UInt64 = 0, digits = 0
                var at = start + marker.count
                while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39, digits < 19 {
                    value = value * 10 + UInt64(bytes[at] - 0x30)
                    at += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            start += 1
        }
        return nil
    }
}
