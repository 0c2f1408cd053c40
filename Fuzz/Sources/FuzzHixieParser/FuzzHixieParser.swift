import FuzzSupport
import WebSocketCore

/// hixie-75/76 frames (0x00…0xFF text, 0x80 length frames, 0xFF 0x00) with a small frame limit.
/// Properties: no crash; one read or two give the same events, bytes and state, and lending text
/// frames in place gives the same messages as reporting them as events.
@_cdecl("FuzzHixieParser_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let input = bytes(data, size)
        guard input.count >= 2 else { return 0 }
        let flags = input[0], cut = Int(input[1])
        let stream = Array(input[2...])
        let at = stream.isEmpty ? 0 : cut % stream.count
        if receive(flags, [stream[...]]) != receive(flags, [stream[..<at], stream[at...]]) {
            violated("hixie output changed by a split at \(at)")
        }
        return 0
    }
}

private func receive(_ flags: UInt8, _ pieces: [ArraySlice<UInt8>]) -> ConnectionOutput {
    let version: ProtocolVersion = flags & 1 == 0 ? .hixie76 : .hixie75
    let role: Role = flags & 2 == 0 ? .server : .client
    let limit = 1 << (6 + Int(flags >> 4 & 7))
    return receiveBothWays(pieces) {
        HixieConnection(role: role, version: version, limits: ConnectionLimits(maxFrameSize: limit, maxMessageSize: limit))
    }.output
}
