import Foundation
import NIOCore
import NIOPosix
import WebSocketCore

/// Which kinds of connection an idle load opens, in turn.
public enum IdleMix: String, CaseIterable, Sendable {
    /// RFC 6455, RFC 6455 + permessage-deflate, hixie-76: what a gateway for old and new devices holds.
    case mixed
    /// RFC 6455 + permessage-deflate, hixie-76: half the connections keep deflate state.
    case halfDeflate = "half-deflate"
    /// RFC 6455 only, no extension: what any WebSocket server can be held to (the side-by-side peers).
    case rfc6455
    /// RFC 6455 + permessage-deflate only.
    case deflate
    /// A fleet of every age: RFC 6455, RFC 6455 + permessage-deflate, hixie-76, hixie-75.
    case fleet

    public var kinds: [(version: ProtocolVersion, deflate: Bool)] {
        switch self {
        case .mixed: [(.rfc6455, false), (.rfc6455, true), (.hixie76, false)]
        case .halfDeflate: [(.rfc6455, true), (.hixie76, false)]
        case .rfc6455: [(.rfc6455, false)]
        case .deflate: [(.rfc6455, true)]
        case .fleet: [(.rfc6455, false), (.rfc6455, true), (.hixie76, false), (.hixie75, false)]
        }
    }
}

/// Idle memory: opens `connections` WebSocket connections of the kinds `mix` names, in turn, holds
/// them, then has each send one message and read its echo. The caller samples the server's memory
/// between the phases.
public final class IdleLoad: @unchecked Sendable {
    public let host: String
    public let port: Int
    public let path: String
    public let connections: Int
    public let mix: IdleMix
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channels: [Channel] = []
    let state = IdleState()

    public init(host: String, port: Int, path: String, connections: Int, mix: IdleMix = .mixed) {
        self.host = host; self.port = port; self.path = path; self.connections = connections; self.mix = mix
    }

    deinit { try? group.syncShutdownGracefully() }

    public struct Counts: Sendable { public var open: Int; public var refused: Int; public var echoed: Int; public var failed: Int }

    public var counts: Counts {
        (try? group.next().submit { Counts(open: self.state.open, refused: self.state.refused, echoed: self.state.echoed, failed: self.state.failed) }.wait())
            ?? Counts(open: 0, refused: 0, echoed: 0, failed: 0)
    }

    /// Opens every connection and waits (up to `timeout`) until each is open or refused.
    public func openAll(timeout: Double = 60) {
        let kinds = mix.kinds
        for i in 0..<connections {
            let (version, deflate) = kinds[i % kinds.count]
            let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleMember(load: self, version: version, deflate: deflate))
                }
            }
            if let channel = try? bootstrap.connect(host: host, port: port).wait() { channels.append(channel) } else { state.failed += 1 }
        }
        wait(timeout) { $0.open + $0.refused + $0.failed >= self.connections }
    }

    /// Every open connection sends one 20-byte text and reads its echo.
    public func oneMessageEach(timeout: Double = 60) {
        let loop = group.next()
        let expected = counts.open
        _ = try? loop.submit {
            for channel in self.channels { if let member = try? channel.pipeline.syncOperations.handler(type: IdleMember.self) { member.speak() } }
        }.wait()
        wait(timeout) { $0.echoed >= expected }
    }

    public func closeAll() {
        for channel in channels { _ = channel.close() }
        Thread.sleep(forTimeInterval: 1)
    }

    private func wait(_ timeout: Double, until done: (Counts) -> Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !done(counts) { Thread.sleep(forTimeInterval: 0.05) }
    }
}

final class IdleState: @unchecked Sendable {
    var open = 0, refused = 0, echoed = 0, failed = 0
}

final class IdleMember: BenchConnection, @unchecked Sendable {
    private let state: IdleState

    init(load: IdleLoad, version: ProtocolVersion, deflate: Bool) {
        state = load.state
        super.init(client: BenchClient(host: load.host, port: load.port, path: load.path, version: version, deflate: deflate))
    }

    override func didOpen() { state.open += 1 }

    override func didReceive(_ event: ConnectionEvent) {
        if case .message = event { state.echoed += 1 }
    }

    override func didFail(refused: Bool) {
        if refused { state.refused += 1 } else { state.failed += 1 }
    }

    func speak() {
        if send(.text("idle connection says hi")) { flush() }
    }
}
