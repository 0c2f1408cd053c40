import Foundation
import Testing

/// The trait the peer suites run under: each test on a thread of its own, still inside its test.
@Suite(.ownThread) struct OwnThreadTests {
    @Test func theBodyRunsOnItsOwnThreadInsideItsTest() {
        #expect(Test.current?.name == "theBodyRunsOnItsOwnThreadInsideItsTest()")
        #expect(ThreadExecutor.current != nil)
        withKnownIssue("an issue is recorded against the test that raised it") { #expect(Bool(false)) }
    }

    @Test(arguments: [1, 2])
    func eachCaseHasItsThread(_ value: Int) {
        #expect(ThreadExecutor.current != nil)
        #expect(Test.Case.current != nil)
    }
}
