import NIOPosix

/// One `Value` per event-loop thread, made there on first use and touched only there: how the
/// per-loop services (timers, flusher, shared encoder) find their instance without a lock.
struct LoopLocal<Value: AnyObject & Sendable>: Sendable {
    private let variable = ThreadSpecificVariable<Value>()

    /// This thread's instance, made by `make` the first time.
    func current(orMake make: () -> Value) -> Value {
        if let value = variable.currentValue { return value }
        let value = make()
        variable.currentValue = value
        return value
    }
}
