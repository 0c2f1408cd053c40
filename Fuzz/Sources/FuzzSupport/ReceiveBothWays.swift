import WebSocketCore

/// Reads `pieces` through two fresh connections from `make`: one reports messages as events
/// (`receive(_:)`), the other lends them and the core's answers in place (`receive(_:deliver:)`,
/// what the gateway's echo uses). Property: the same messages in the same order, the same other
/// events, the same answer bytes and state.
/// Returns the first one's output summed over the pieces, and its state.
public func receiveBothWays<Connection: WebSocketConnection>(_ pieces: [ArraySlice<UInt8>], _ make: () -> Connection)
    -> (output: ConnectionOutput, state: ConnectionState) {
    var reporting = make(), lending = make()
    var total = ConnectionOutput()
    var lentMessages: [Message] = [], lentEvents: [ConnectionEvent] = [], lentBytes: [UInt8] = []
    var scratch = InflateScratch()
    for piece in pieces {
        let output = reporting.receive(piece)
        total.events += output.events
        total.outbound += output.outbound
        total.closeTransport = total.closeTransport || output.closeTransport
        let lent = piece.withUnsafeBytes {
            lending.receive($0, scratch: &scratch) { delivery in
                switch delivery {
                case .message(let view): lentMessages.append(view.message())
                case .answer(let bytes): lentBytes += bytes
                }
            }
        }
        lentEvents += lent.events
        lentBytes += lent.outbound
    }
    var messages: [Message] = [], events: [ConnectionEvent] = []
    for event in total.events {
        if case .message(let message) = event { messages.append(message) } else { events.append(event) }
    }
    if lentMessages != messages || lentEvents != events || lentBytes != total.outbound || lending.state != reporting.state {
        violated("lent delivery differs: \(lentMessages.count) messages lent, \(messages.count) reported; events \(lentEvents) vs \(events)")
    }
    return (total, reporting.state)
}
