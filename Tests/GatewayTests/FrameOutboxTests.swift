import NIOCore
import Testing
@testable import Gateway

/// A pass's frames reach the channel in order, with their bytes counted; runs of small frames are
/// merged into one buffer each, large frames pass as they are.
@Suite struct FrameOutboxTests {
    static let allocator = ByteBufferAllocator()

    static func frame(_ byte: UInt8, count: Int) -> ByteBuffer {
        allocator.buffer(bytes: [UInt8](repeating: byte, count: count))
    }

    /// Each frame's bytes, and whether it is the last, as the handler hands them to the channel.
    static func drained(_ outbox: inout FrameOutbox) -> [(bytes: [UInt8], isLast: Bool)] {
        guard let (first, more) = outbox.takeFrames() else { return [] }
        let frames = [(Array(first.readableBytesView), more.isEmpty)]
            + more.enumerated().map { (Array($1.readableBytesView), $0 == more.count - 1) }
        outbox.reuseStorage(of: more)
        return frames
    }

    @Test func oneFrameIsHandedOverAsTheLast() {
        var outbox = FrameOutbox()
        #expect(outbox.count == 0 && outbox.bytes == 0)
        outbox.append(Self.frame(1, count: 3))
        #expect(outbox.count == 1 && outbox.bytes == 3)
        let frames = Self.drained(&outbox)
        #expect(frames.map(\.bytes) == [[1, 1, 1]])
        #expect(frames.map(\.isLast) == [true])
        #expect(outbox.count == 0 && outbox.bytes == 0)
    }

    @Test func framesKeepTheirOrderAndOnlyTheLastIsLast() {
        var outbox = FrameOutbox()
        for byte in UInt8(1)...4 { outbox.append(Self.frame(byte, count: Int(byte))) }
        #expect(outbox.count == 4 && outbox.bytes == 10)
        let frames = Self.drained(&outbox)
        #expect(frames.map(\.bytes) == [[1], [2, 2], [3, 3, 3], [4, 4, 4, 4]])
        #expect(frames.map(\.isLast) == [false, false, false, true])
        // Reused after draining: the next pass starts empty.
        outbox.append(Self.frame(9, count: 1))
        #expect(Self.drained(&outbox).map(\.bytes) == [[9]])
    }

    @Test func smallRunsAreMergedAroundLargeFrames() {
        var outbox = FrameOutbox()
        let sizes = [3, 2, 50, 1, 1, 60, 4]   // small: at most 10
        for (index, size) in sizes.enumerated() { outbox.append(Self.frame(UInt8(index), count: size)) }
        var runsMade = 0
        let lastRun = outbox.mergeSmallFrames(upTo: 10) {
            runsMade += 1
            return Self.allocator.buffer(capacity: 16)
        }
        #expect(runsMade == 3)
        #expect(outbox.count == 5 && outbox.bytes == sizes.reduce(0, +))
        #expect(lastRun.map { Array($0.readableBytesView) } == [6, 6, 6, 6])
        let frames = Self.drained(&outbox).map(\.bytes)
        #expect(frames == [[0, 0, 0, 1, 1], [UInt8](repeating: 2, count: 50), [3, 4],
                           [UInt8](repeating: 5, count: 60), [6, 6, 6, 6]])
    }

    @Test func largeFramesAloneAreNotCopied() {
        var outbox = FrameOutbox()
        outbox.append(Self.frame(1, count: 20))
        outbox.append(Self.frame(2, count: 30))
        let lastRun = outbox.mergeSmallFrames(upTo: 10) { Issue.record("no run for large frames"); return Self.allocator.buffer(capacity: 0) }
        #expect(lastRun == nil)
        #expect(Self.drained(&outbox).map(\.bytes.count) == [20, 30])
    }

    @Test func framesWrittenWhileHandingOverAreKeptForTheNextPass() {
        var outbox = FrameOutbox()
        outbox.append(Self.frame(1, count: 1))
        outbox.append(Self.frame(2, count: 1))
        let (first, more) = outbox.takeFrames()!
        #expect(outbox.count == 0 && outbox.bytes == 0)
        // A write re-entering the handler while the frames are handed over:
        outbox.append(Self.frame(3, count: 1))
        outbox.append(Self.frame(4, count: 1))
        outbox.reuseStorage(of: more)
        #expect(Array(first.readableBytesView) == [1])
        #expect(Self.drained(&outbox).map(\.bytes) == [[3], [4]])
    }

    @Test func removeAllForgetsFramesAndBytes() {
        var outbox = FrameOutbox()
        outbox.append(Self.frame(1, count: 5))
        outbox.append(Self.frame(2, count: 5))
        outbox.removeAll()
        #expect(outbox.count == 0 && outbox.bytes == 0)
        #expect(Self.drained(&outbox).isEmpty)
    }
}
