import Testing
@testable import WebSocketCore

/// `releaseIdleMemory` frees what a quiet connection can rebuild with no difference on the wire:
/// zlib streams without context takeover (reset after every message anyway), never one that
/// keeps context, never in the middle of a message.
@Suite struct IdleMemoryTests {
    static let line = #"{"action":"ctrl/chat/out","msg":"{\"from\":\"TV\",\"message\":\"bonjour le salon, bonjour la passerelle\"}"}"#

    static func pair(_ agreement: DeflateAgreement) -> (client: RFC6455Connection, server: RFC6455Connection, context: DeflateContext) {
        let context = DeflateContext(agreement: agreement, role: .server, configuration: DeflateConfiguration(minimumCompressedSize: 0))
        return (RFC6455Connection(role: .client, deflate: DeflateContext(agreement: agreement, role: .client), random: SeededRandom(seed: 2)),
                RFC6455Connection(role: .server, deflate: context), context)
    }

    @Test func streamsWithoutContextAreFreedAndRebuilt() throws {
        var (client, server, context) = Self.pair(DeflateAgreement(serverNoContextTakeover: true, clientNoContextTakeover: true))
        for round in 0..<3 {
            #expect(server.receive(try client.send(.text(Self.line))).events == [.message(.text(Self.line))], "round \(round)")
            let answer = try server.send(.text(Self.line))
            #expect(answer[0] & 0x40 != 0, "RSV1: compressed")
            #expect(client.receive(answer).events == [.message(.text(Self.line))])
            #expect(context.holdsInflater && context.holdsDeflater)
            server.releaseIdleMemory()
            #expect(!context.holdsInflater && !context.holdsDeflater)
        }
    }

    @Test func streamsThatKeepContextAreKept() throws {
        // With context takeover the second copy of a line is a back-reference into the first:
        // an inflater made afresh could not read it.
        var (client, server, context) = Self.pair(DeflateAgreement())
        let first = try client.send(.text(Self.line)), second = try client.send(.text(Self.line))
        #expect(second.count < first.count)
        #expect(server.receive(first).events == [.message(.text(Self.line))])
        _ = try server.send(.text(Self.line))
        server.releaseIdleMemory()
        #expect(context.holdsInflater && context.holdsDeflater)
        #expect(server.receive(second).events == [.message(.text(Self.line))])
    }

    @Test func nothingIsFreedInTheMiddleOfAMessage() throws {
        var (client, server, context) = Self.pair(DeflateAgreement(serverNoContextTakeover: true, clientNoContextTakeover: true))
        let long = String(repeating: "passerelle hixie-76 ", count: 200)
        let frames = try client.send(.text(long), fragmentSize: 40)
        let firstFrame = 2 + 4 + 40
        #expect(server.receive(frames[..<firstFrame]).events.isEmpty)
        server.releaseIdleMemory()
        #expect(context.holdsInflater, "the message's inflater is kept until it ends")
        #expect(server.receive(frames[firstFrame...]).events == [.message(.text(long))])
        server.releaseIdleMemory()
        #expect(!context.holdsInflater)
    }
}
