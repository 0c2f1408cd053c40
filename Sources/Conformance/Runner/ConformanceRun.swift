import Foundation

/// A whole run: cases filtered, run (in parallel when asked), overrides applied.
public struct ConformanceRun {
    /// A target's accepted deviations: `{"case-id": {"outcome": "NON-STRICT", "reason": "…"}}`.
    public struct Override: Codable, Sendable {
        public var outcome: Outcome
        public var reason: String
    }

    public var cases: [ConformanceCase]
    public var runner: CaseRunner
    public var parallel: Int
    public var overrides: [String: Override]

    public init(cases: [ConformanceCase], runner: CaseRunner, parallel: Int = 1, overrides: [String: Override] = [:]) {
        self.cases = cases
        self.runner = runner
        self.parallel = max(1, parallel)
        self.overrides = overrides
    }

    /// Runs every case; `progress(done, total)` is called as cases finish (from any thread).
    public func execute(progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) -> [CaseResult] {
        let results = ResultStore(count: cases.count)
        let cases = self.cases, runner = self.runner, overrides = self.overrides
        // `parallel` threads of our own, each taking the next case: a case blocks on its socket, and
        // blocks on `DispatchQueue.global()` would get a new thread only about once a second.
        let group = DispatchGroup()
        for _ in 0..<min(parallel, max(cases.count, 1)) {
            group.enter()
            Thread {
                while let index = results.claimNext() {
                    var result = runner.run(cases[index], seed: UInt64(index))
                    if let override = overrides[cases[index].id] {
                        result.override = "\(result.outcome.rawValue) accepted as \(override.outcome.rawValue): \(override.reason)"
                        result.outcome = override.outcome
                    }
                    progress(results.set(index, result), cases.count)
                }
                group.leave()
            }.start()
        }
        group.wait()
        return results.all()
    }
}

private final class ResultStore: @unchecked Sendable {
    private var results: [CaseResult?]
    private var done = 0
    private let lock = NSLock()
    private var claimed = 0
    init(count: Int) { results = Array(repeating: nil, count: count) }
    /// The next case no thread has taken yet, in order.
    func claimNext() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard claimed < results.count else { return nil }
        claimed += 1
        return claimed - 1
    }
    func set(_ index: Int, _ result: CaseResult) -> Int {
        lock.lock(); defer { lock.unlock() }
        results[index] = result
        done += 1
        return done
    }
    func all() -> [CaseResult] { lock.lock(); defer { lock.unlock() }; return results.compactMap { $0 } }
}
