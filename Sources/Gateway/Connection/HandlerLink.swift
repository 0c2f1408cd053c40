/// What a connection's timers hold instead of `[weak self]`: a weak reference gives the handler a
/// side table, and from then on every retain and release of it takes the Swift runtime's slow path
/// (which shows in a large broadcast, where each line touches every member's handler). The handler clears the link when it leaves its pipeline, so a timer
/// that fires later finds nothing and the handler is not kept alive by its timers.
/// Touched only on the handler's event loop.
final class HandlerLink: @unchecked Sendable {
    var handler: WebSocketChannelHandler?

    init(_ handler: WebSocketChannelHandler) {
        self.handler = handler
    }
}
