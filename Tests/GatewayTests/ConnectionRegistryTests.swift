@testable import Gateway
import NIOEmbedded
import Testing

/// The server's open connections: admitted up to the server's limit and each address's, refused
/// past them with the error the client's 503 carries, and a slot freed when a connection leaves.
@Suite struct ConnectionRegistryTests {
    static let loop = EmbeddedEventLoop()

    static func entry(_ address: String?) -> ConnectionRegistry.Entry {
        ConnectionRegistry.Entry(eventLoop: loop, address: address, transport: ConnectionTransport(budget: BufferBudget(limit: 1 << 20)))
    }

    @Test func theServersLimitRefusesTheNextUntilOneLeaves() {
        let registry = ConnectionRegistry(limit: 2)
        #expect(registry.admit(1, Self.entry("192.0.2.1")) == nil)
        #expect(registry.admit(2, Self.entry("192.0.2.2")) == nil)
        #expect(registry.admit(3, Self.entry("192.0.2.3")) == .serverFull(limit: 2))
        #expect(registry.count == 2)
        registry.remove(1)
        #expect(registry.admit(3, Self.entry("192.0.2.3")) == nil, "the slot of the one that left")
        #expect(GatewayError.serverFull(limit: 2).httpStatus == 503)
    }

    @Test func eachAddressHasItsOwnLimit() {
        let registry = ConnectionRegistry(limit: 10, limitPerAddress: 2)
        #expect(registry.admit(1, Self.entry("192.0.2.1")) == nil)
        #expect(registry.admit(2, Self.entry("192.0.2.1")) == nil)
        #expect(registry.admit(3, Self.entry("192.0.2.1")) == .tooManyFromAddress(limit: 2))
        #expect(registry.admit(4, Self.entry("192.0.2.9")) == nil, "another address is not held back")
        #expect(registry.admit(5, Self.entry(nil)) == nil && registry.admit(6, Self.entry(nil)) == nil
                && registry.admit(7, Self.entry(nil)) == nil, "an unknown address counts against the server's limit only")
        registry.remove(2)
        #expect(registry.admit(3, Self.entry("192.0.2.1")) == nil)
        registry.remove(42)   // never admitted: nothing changes
        #expect(registry.count == 6)
    }

    @Test func thePeakIsTheMostOpenAtOnceSinceItWasLastTaken() {
        let registry = ConnectionRegistry(limit: 10)
        for id in 1...4 { _ = registry.admit(id, Self.entry(nil)) }
        registry.remove(1)
        registry.remove(2)
        #expect(registry.takePeak() == (peak: 4, now: 2))
        _ = registry.admit(5, Self.entry(nil))
        #expect(registry.takePeak() == (peak: 3, now: 3))
    }
}
