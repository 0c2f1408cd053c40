import Foundation
import Testing

/// Runs each test of a suite on a thread of its own, at most `OwnThread.width` at once.
///
/// Peer tests block: they wait for processes, sockets and deadlines. Swift Testing runs test
/// functions on the cooperative pool, which has one thread per core, so on a 2-core machine two
/// waiting peer tests hold every other test back while the cores sit idle. On its own thread
/// (the task's executor preference, SE-0417) a test waits without taking a pool thread; the task,
/// and so `#expect` and the current test, stay the same. The width bounds how many peers,
/// browsers and gateways run at once (`PASSERELLE_PEER_TEST_WIDTH`, default twice the cores, at most 8).
struct OwnThread: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    static let width: Int = {
        if let text = ProcessInfo.processInfo.environment["PASSERELLE_PEER_TEST_WIDTH"], let width = Int(text), width > 0 {
            return width
        }
        // Each test starts gateways and peer processes (Chromium among them): a large machine
        // still runs a handful at once.
        return min(2 * ProcessInfo.processInfo.activeProcessorCount, 8)
    }()

    private static let slots = Slots(width: width)

    /// A suite only gathers its tests: the scope is each test case's.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? {
        testCase == nil ? nil : self
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await Self.slots.acquire()
        let thread = ThreadExecutor()
        defer { thread.stop() }
        do {
            try await withTaskExecutorPreference(thread) { try await function() }
        } catch {
            await Self.slots.release()
            throw error
        }
        await Self.slots.release()
    }

    /// A counting semaphore that suspends instead of blocking.
    private actor Slots {
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(width: Int) { free = width }

        func acquire() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func release() {
            if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
        }
    }
}

extension Trait where Self == OwnThread {
    /// Each test on a thread of its own (see `OwnThread`).
    static var ownThread: OwnThread { OwnThread() }
}

/// A task executor with one thread that runs the jobs it is given, in order, until stopped.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init() {
        Thread { [self] in run() }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !stopped else {
            // A task that inherited the preference and outlived the test: never lost, run apart.
            condition.unlock()
            Thread { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }.start()
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs already given have run; later ones each get a thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// The executor whose thread this is, if any.
    static var current: ThreadExecutor? { Thread.current.threadDictionary[marker] as? ThreadExecutor }
    private static let marker = "passerelle.ThreadExecutor"

    private func run() {
        Thread.current.threadDictionary[Self.marker] = self
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

