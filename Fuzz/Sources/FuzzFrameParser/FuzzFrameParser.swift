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
    let (total, state) = receiveBothWays(pieces) {
        RFC6455Connection(role: role, deflate: deflate(), limits: limits, random: SeededRandom(seed: 3))
    }
    if total.closeTransport && state != .closed && role == .server { violated("transport closed on an open server connection") }
    return total
}
