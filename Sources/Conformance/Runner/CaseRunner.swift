import Foundation
import WebSocketCore

/// Runs one case: against a server, as a client built on the core that can also send deliberately
/// wrong bytes; or (`runAsServer`) as the server side of the same case, for a client under test.
/// Either way it judges what comes back.
public struct CaseRunner: Sendable {
    /// The server under test; nil when this runner plays the server side (`runAsServer`).
    public let target: Target?
    /// Seconds each expectation waits.
    public let timeout: Double
    public init(target: Target?, timeout: Double = 5) {
        self.target = target
        self.timeout = timeout
    }

    /// Whether a TCP connection to the target can be opened at all.
    public static func reachable(_ target: Target) -> Bool {
        (try? RawSocket(host: target.host, port: target.port)) != nil
    }

    /// Runs the case; never throws (a broken case is a FAILED result with the reason).
    public func run(_ item: ConformanceCase, seed: UInt64 = 1) -> CaseResult {
        var execution = Execution(item: item, runner: self, side: .client, random: Self.random(item, seed))
        let start = Date()
        return result(of: item, execution.run(), execution.log, since: start)
    }

    /// Plays the server side of `item` on a connection whose handshake was answered: frames the
    /// case sends go out unmasked (the case's deliberately unmasked frames go out masked, the
    /// mirror violation of RFC 6455 §5.1), and the client under test is judged as the server would be.
    func runAsServer(_ item: ConformanceCase, socket: RawSocket, session: ServerSession, opened: SessionOutput, seed: UInt64 = 1) -> CaseResult {
        var execution = Execution(item: item, runner: self, side: .server, random: Self.random(item, seed))
        execution.socket = socket
        execution.session = session
        execution.absorb(opened)
        let start = Date()
        return result(of: item, execution.runSteps(), execution.log, since: start)
    }

    private static func random(_ item: ConformanceCase, _ seed: UInt64) -> SeededRandom {
        SeededRandom(seed: seed &+ UInt64(abs(item.id.hashValue % 1_000_000)))
    }

    private func result(of item: ConformanceCase, _ verdict: (Outcome, String), _ log: [WireEntry], since start: Date) -> CaseResult {
        let (outcome, reason) = verdict
        var final = outcome
        if item.informational == true && outcome != .failed { final = .informational }
        return CaseResult(id: item.id, group: item.group, title: item.title, section: item.section, outcome: final, reason: reason,
                          override: nil, durationMs: Date().timeIntervalSince(start) * 1000, log: log)
    }
}
