import FuzzSupport
import WebSocketCore

/// RFC 6455 frames as a server or a client receives them, with or without permessage-deflate and
/// with small limits. Properties: no crash; the same events, bytes and state whether the input
/// comes in one read or two, and whether messages are lent in place or reported as events.
@_cdecl("FuzzFrameParser_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let input = bytes(data, size)
        guard input.count >= 2 else { return 0 }
        let flags = input[0], cut = Int(input[1])
        let stream = Array(input[2...])
        let whole = receive(flags, [stream[...]])
        let at = stream.isEmpty ? 0 : cut % stream.count
        let split = receive(flags, [stream[..<at], stream[at...]])
        if whole != split { violated("output changed by a split at \(at): whole \(whole) vs split \(split)") }
        return 0
    }
}

private func receive(_ flags: UInt8, _ pieces: [ArraySlice<UInt8>]) -> ConnectionOutput {
    let role: Role = flags & 1 == 0 ? .server : .client
    let limits = ConnectionLimits(maxFrameSize: 1 << (8 + Int(flags >> 4 & 7)), maxMessageSize: 1 << (10 + Int(flags >> 4 & 7)))
    let agreement = DeflateAgreement(serverNoContextTakeover: flags & 4 != 0, clientNoContextTakeover: flags & 8 != 0,
                                     serverMaxWindowBits: 15, clientMaxWindowBits: 15)
    // A context per connection: it is a class holding the zlib streams.
    func deflate() -> DeflateContext? { flags & 2 != 0 ? DeflateContext(agreement: agreement, role: role) : nil }
    var connection = RFC6455Connection(role: role, deflate: deflate(), limits: limits, random: SeededRandom(seed: 3))
    var total = ConnectionOutput()
    // The same stream read with messages lent in place (what the gateway's echo does) must give
    // the same messages, in order, and the same everything else.
    var lending = RFC6455Connection(role: role, deflate: deflate(), limits: limits, random: SeededRandom(seed: 3))
    var lentMessages: [Message] = [], lentRest = ConnectionOutput()
    for piece in pieces {
        let output = connection.receive(piece)
        total.events += output.events
        total.outbound += output.outbound
        total.closeTransport = total.closeTransport || output.closeTransport
        let lent = piece.withUnsafeBytes { lending.receive($0) { lentMessages.append($0.message()) } }
        lentRest.events += lent.events
        lentRest.outbound += lent.outbound
    }
    var ownedMessages: [Message] = [], ownedRest: [ConnectionEvent] = []
    for event in total.events {
        if case .message(let message) = event { ownedMessages.append(message) } else { ownedRest.append(event) }
    }
    if lentMessages != ownedMessages || Array(lentRest.events) != ownedRest || lentRest.outbound != total.outbound || lending.state != connection.state {
        violated("lent messages differ: \(lentMessages.count) lent vs \(ownedMessages.count) owned; events \(Array(lentRest.events)) vs \(ownedRest)")
    }
    if total.closeTransport && connection.state != .closed && role == .server { violated("transport closed on an open server connection") }
    return total
}
