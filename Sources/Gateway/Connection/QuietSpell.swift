import NIOCore

/// How long a connection has been quiet, for its keepalive tick: when the peer last sent
/// anything, whether this side wrote since the last tick, and whether the connection already gave
/// its idle memory back in this quiet spell (once per spell, not once per tick).
struct QuietSpell {
    private(set) var lastActivity: NIODeadline
    /// The bytes this side had written at the last tick.
    private var writtenAtTick = 0
    private var released = false

    init(now: NIODeadline) {
        lastActivity = now
    }

    /// The peer sent something: a new spell starts.
    mutating func noteRead(at now: NIODeadline) {
        lastActivity = now
        released = false
    }

    /// At a keepalive tick, given every byte this side has written so far: the seconds since the
    /// peer last sent anything, and whether to give idle memory back now — after a second of
    /// silence with nothing written since the last tick (a member that only listens to a busy
    /// room is not quiet), once per spell.
    mutating func tick(at now: NIODeadline, written: Int) -> (silentSeconds: Double, releaseMemory: Bool) {
        let silent = Double((now - lastActivity).nanoseconds) / 1e9
        let wrote = written != writtenAtTick
        writtenAtTick = written
        if wrote { released = false }
        let release = silent >= 1 && !wrote && !released
        if release { released = true }
        return (silent, release)
    }
}
