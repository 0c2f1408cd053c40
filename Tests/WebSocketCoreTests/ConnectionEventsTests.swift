import Testing
import WebSocketCore

/// `ConnectionEvents` keeps its first event inline: it must still behave exactly like the array
/// of events it replaced — order, equality, edits anywhere.
@Suite struct ConnectionEventsTests {
    static let sample: [ConnectionEvent] = [
        .message(.text("a")), .ping([1]), .message(.binary([2, 3])), .pong([]),
        .closeReceived(code: .normalClosure, reason: "bye"), .failed(.invalidUTF8),
    ]

    @Test func appendKeepsOrderAndCount() {
        for length in 0...Self.sample.count {
            var events = ConnectionEvents()
            for event in Self.sample.prefix(length) { events.append(event) }
            #expect(Array(events) == Array(Self.sample.prefix(length)))
            #expect(events.count == length)
            #expect(events.isEmpty == (length == 0))
            #expect(events.first == Self.sample.first.flatMap { length > 0 ? $0 : nil })
        }
    }

    @Test func equalSequencesAreEqualValues() {
        // Built by appends, by a literal and by editing: one representation each time.
        var edited: ConnectionEvents = [.pong([9])] + Self.sample
        edited.removeFirst()
        let literal: ConnectionEvents = [.message(.text("a")), .ping([1]), .message(.binary([2, 3])), .pong([]),
                                         .closeReceived(code: .normalClosure, reason: "bye"), .failed(.invalidUTF8)]
        let appended = ConnectionEvents(Self.sample)
        #expect(edited == literal && literal == appended)
        #expect(Set([edited, literal, appended]).count == 1)
        #expect(ConnectionEvents([]) == ConnectionEvents())
    }

    @Test func editsAnywhereMatchTheArray() {
        for lower in 0...Self.sample.count {
            for upper in lower...Self.sample.count {
                var events = ConnectionEvents(Self.sample)
                var array = Self.sample
                events.replaceSubrange(lower..<upper, with: [.ping([7]), .pong([8])])
                array.replaceSubrange(lower..<upper, with: [.ping([7]), .pong([8])])
                #expect(Array(events) == array)
                #expect(events == ConnectionEvents(array))
            }
        }
    }

    @Test func appendingAnotherOutputsEvents() {
        var total = ConnectionOutput()
        total.events += ConnectionEvents(Self.sample.prefix(2))
        total.events += ConnectionEvents(Self.sample.dropFirst(2))
        #expect(Array(total.events) == Self.sample)
    }
}
