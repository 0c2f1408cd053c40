#if canImport(Glibc)
import Glibc
#endif

/// The process's file-descriptor limit against `--max-connections`.
///
/// Each connection is one descriptor. Many systems start processes with a soft limit of 1,024
/// while allowing far more (the hard limit); like Go's runtime and nginx's
/// `worker_rlimit_nofile`, the gateway raises its soft limit as far as it needs and may. What is
/// still short is reported, since connections past it wait in the backlog (AcceptBackoff).
public enum DescriptorLimit {
    /// Descriptors kept for the listener, logs, recordings and the runtime.
    public static let reserve = 64

    public struct Outcome: Sendable, Equatable {
        public var soft: Int
        public var needed: Int
        public var raisedFrom: Int?
        public var isShort: Bool { soft < needed }
        /// Connections the descriptors allow at once, the reserve kept aside.
        public var connectionCapacity: Int { max(1, soft - DescriptorLimit.reserve) }
    }

    /// Raises the soft limit towards `connections + reserve` (never above the hard limit).
    public static func ensure(connections: Int) -> Outcome? {
        #if canImport(Glibc)
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let needed = connections + reserve
        let soft = Int(clamping: limit.rlim_cur)
        guard soft < needed else { return Outcome(soft: soft, needed: needed, raisedFrom: nil) }
        var raised = limit
        raised.rlim_cur = min(rlim_t(needed), limit.rlim_max)
        guard raised.rlim_cur > limit.rlim_cur, setrlimit(resource, &raised) == 0 else {
            return Outcome(soft: soft, needed: needed, raisedFrom: nil)
        }
        return Outcome(soft: Int(clamping: raised.rlim_cur), needed: needed, raisedFrom: soft)
        #else
        return nil
        #endif
    }
}
