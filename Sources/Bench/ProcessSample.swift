import Foundation

/// CPU time and resident memory of a process, from /proc (Linux): what the bench reports for
/// the server under test and for its own load generator.
public struct ProcessSample: Sendable {
    /// User + system CPU seconds so far (all threads).
    public var cpuSeconds: Double
    public var residentBytes: Int

    /// nil when the process is gone or /proc is unreadable.
    public static func of(_ pid: Int32) -> ProcessSample? {
        let path = pid == 0 ? "self" : String(pid)
        guard let stat = try? String(contentsOfFile: "/proc/\(path)/stat", encoding: .utf8),
              let statm = try? String(contentsOfFile: "/proc/\(path)/statm", encoding: .utf8) else { return nil }
        // Fields after the command name (which may contain spaces, so split after its ')').
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pages = Int(statm.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return ProcessSample(cpuSeconds: (user + system) / ticks, residentBytes: pages * Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// Resident bytes once they hold still: sampled every 2 s until unchanged for `quiet` seconds,
    /// at most `limit` seconds. A server that returns freed memory on its own schedule (Passerelle:
    /// every 5 s, for a while after connections leave) is measured after it did.
    public static func settledResidentBytes(_ pid: Int32, quiet: Double = 12, limit: Double = 40) -> Int {
        var settled = of(pid)?.residentBytes ?? 0
        let start = Date()
        var lastChange = start
        while Date().timeIntervalSince(start) < limit && Date().timeIntervalSince(lastChange) < quiet {
            Thread.sleep(forTimeInterval: 2)
            let now = of(pid)?.residentBytes ?? 0
            if now != settled { lastChange = Date(); settled = now }
        }
        return settled
    }
}
