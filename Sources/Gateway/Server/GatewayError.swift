import Bridge
import WebSocketCore

/// Why the gateway itself — its limits and policies, not the protocol — refuses a connection or
/// ends one, each answered with its HTTP status (before the upgrade) or close code (after it).
public enum GatewayError: Error, Hashable, Sendable {
    /// `--max-connections` reached: 503 + `Retry-After`.
    case serverFull(limit: Int)
    /// One source address holds as many connections as it may (RFC 6585 §4: 429).
    case tooManyFromAddress(limit: Int)
    /// The room is shared through a cluster database this instance cannot reach right now: new
    /// members are sent elsewhere (503 + `Retry-After`) rather than join a room that cannot order lines.
    case roomUnavailable
    /// A member that does not read what the room sends it: RFC 6455 §7.4.1's 1008, "a message
    /// that violates its policy".
    case slowConsumer(queuedBytes: Int, limit: Int)
    /// Lines waiting for the cluster database reached their bound: IANA's 1013 "Try Again Later".
    case roomBacklogFull(limit: Int)
    /// A route's backend refused, answered wrongly, was not there or was too slow: the status
    /// `UpstreamFailure.downstreamStatus` says (a hixie client has its connection closed).
    case upstreamFailed(UpstreamFailure)

    /// Before the upgrade: the HTTP status.
    public var httpStatus: Int? {
        switch self {
        case .serverFull, .roomUnavailable: return 503
        case .tooManyFromAddress: return 429
        case .upstreamFailed(let failure): return failure.downstreamStatus
        case .slowConsumer, .roomBacklogFull: return nil
        }
    }

    /// After the upgrade: the close code.
    public var closeCode: CloseCode? {
        switch self {
        case .slowConsumer: return .policyViolation
        case .roomBacklogFull: return .tryAgainLater
        case .serverFull, .tooManyFromAddress, .roomUnavailable, .upstreamFailed: return nil
        }
    }

    /// A short reason, safe in a close frame or an HTTP body.
    public var reason: String {
        switch self {
        case .serverFull(let limit): return "server full (\(limit) connections)"
        case .tooManyFromAddress(let limit): return "too many connections from this address (limit \(limit))"
        case .roomUnavailable: return "room unavailable: cluster database unreachable, try another instance"
        case .slowConsumer(let queued, let limit): return "slow consumer: \(queued) bytes queued, limit \(limit)"
        case .roomBacklogFull(let limit): return "room backlog full (\(limit) lines wait for the cluster database), try again later"
        case .upstreamFailed(let failure): return failure.reason
        }
    }

    public var identifier: String {
        String(String(describing: self).prefix { $0 != "(" })
    }

    /// How the core fails an open connection for this reason (the close frame, then TCP).
    var asLocalLimit: WebSocketError {
        .localLimit(code: closeCode ?? .policyViolation, reason: reason)
    }
}
