import NIOCore

/// How long a connection has been quiet, for its keepalive tick: when the peer last sent
/// anything, whether this side wrote since the last tick, and whether the connection already gave
/// its idle memory back in this quiet spell (once per spell, not once per tick).
struct QuietSpell {
    private(set) var lastActivity: NIODeadline
    private var wroteSinceTick = false
    private var released = false

    init(now: NIODeadline) {
        lastActivity = now
    }

    /// The peer sent something: a new spell starts.
    mutating func noteRead(at now: NIODeadline) {
        lastActivity = now
        released = false
    }

    /// This side wrote: a member that only listens to a busy room is not quiet.
    mutating func noteWrite() {
        wroteSinceTick = true
        released = false
    }

    /// At a keepalive tick: the seconds since the peer last sent anything, and whether to give
    /// idle memory back now — after a second of silence with nothing written since the last
    /// tick, once per spell.
    mutating func tick(at now: NIODeadline) -> (silentSeconds: Double, releaseMemory: Bool) {
        let silent = Double((now - lastActivity).nanoseconds) / 1e9
        let release = silent >= 1 && !wroteSinceTick && !released
        if release { released = true }
        wroteSinceTick = false
        return (silent, release)
    }
}
