import Foundation
import Testing

/// The trait the peer suites run under: each test on a thread of its own, still inside its test.
@Suite(.ownThread) struct OwnThreadTests {
    @Test func theBodyRunsOnItsOwnThreadInsideItsTest() {
        #expect(Test.current?.name == "theBodyRunsOnItsOwnThreadInsideItsTest()")
        #expect(ThreadExecutor.current != nil)
        withKnownIssue("an issue is recorded against the test that raised it") { #expect(Bool(false)) }
    }

    /// A task that inherited the preference and outlives its test must still run: a lost job
    /// would leave it suspended for ever (here: not done within 10 s).
    @Test func aStoppedExecutorStillRunsWhatItIsGiven() async throws {
        let executor = ThreadExecutor(), starter = ThreadExecutor()
        executor.stop()
        defer { starter.stop() }
        let done = Flag()
        // Started on a thread of its own: the cooperative pool may be busy with other tests.
        Task(executorPreference: starter) { await withTaskExecutorPreference(executor) { done.set() } }
        let deadline = ContinuousClock.now + .seconds(10)
        while !done.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(done.isSet)
    }

    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }

    @Test(arguments: [1, 2])
    func eachCaseHasItsThread(_ value: Int) {
        #expect(ThreadExecutor.current != nil)
        #expect(Test.Case.current != nil)
    }
}
