import NIOCore

/// The frames a connection wrote in this pass of the event loop, in order, and how many bytes they
/// hold. The usual pass writes one frame (an echo, a room line): it is held inline, so a pass of
/// one frame allocates nothing and an idle connection holds no array (an array kept with its
/// capacity would be 56 B, plus malloc's overhead, in every connection, idle or not).
/// Further frames of a pass go to an array that keeps its capacity for the next busy pass.
struct FrameOutbox {
    private var first: ByteBuffer?
    private var more: [ByteBuffer] = []
    private(set) var bytes = 0

    var count: Int { first == nil ? 0 : 1 + more.count }

    mutating func append(_ frame: ByteBuffer) {
        if first == nil { first = frame } else { more.append(frame) }
        bytes += frame.readableBytes
    }

    /// Takes every frame out, in order, and leaves the outbox empty. The caller hands them to the
    /// channel with no access to the outbox in progress — a write that re-enters the handler may
    /// touch it — then gives the array back (`reuseStorage`), so a busy member's next pass
    /// allocates nothing.
    mutating func takeFrames() -> (first: ByteBuffer, more: [ByteBuffer])? {
        guard let head = first else { return nil }
        let frames = (first: head, more: more)
        first = nil
        more = []
        bytes = 0
        return frames
    }

    /// Keeps the storage of `frames` (the array `takeFrames` gave out), emptied, for the further
    /// frames of the next pass — unless frames arrived meanwhile and have an array already.
    mutating func reuseStorage(of frames: consuming [ByteBuffer]) {
        guard more.isEmpty, frames.capacity > 0 else { return }
        frames.removeAll(keepingCapacity: true)
        more = frames
    }

    /// Copies each run of frames of at most `small` bytes into one buffer from `emptyRun`: each
    /// write costs a trip down NIO's pipeline and an entry in its pending writes — more than copying
    /// a chat line. Larger frames stay as they are; the order is kept. Answers the last run made.
    mutating func mergeSmallFrames(upTo small: Int, emptyRun: () -> ByteBuffer) -> ByteBuffer? {
        guard first != nil, !more.isEmpty else { return nil }
        // In place: frame i is `first` for 0 and more[i - 1] after; a run reads at least one frame
        // for each it writes, so writing at `kept` never overwrites a frame not yet read.
        let total = 1 + more.count
        var kept = 0
        var run: ByteBuffer?
        var lastRun: ByteBuffer?
        func store(_ frame: ByteBuffer) {
            if kept == 0 { first = frame } else { more[kept - 1] = frame }
            kept += 1
        }
        for index in 0..<total {
            let frame = index == 0 ? first! : more[index - 1]
            if frame.readableBytes <= small {
                if run == nil { run = emptyRun() }
                run!.writeImmutableBuffer(frame)
            } else {
                if let pending = run { store(pending); run = nil }
                store(frame)
            }
        }
        if let pending = run {
            store(pending)
            lastRun = pending
        }
        more.removeLast(total - kept)
        return lastRun
    }

    /// Frames that will never be written: the member is gone or stuck.
    mutating func removeAll() {
        first = nil
        more.removeAll()
        bytes = 0
    }

    /// Frees the array a busy pass left (the connection went quiet).
    mutating func releaseStorage() {
        if more.isEmpty { more = [] }
    }
}
