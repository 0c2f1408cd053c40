import FuzzSupport
import WebSocketCore

/// The opening handshake, both sides, every version. Properties: no crash; the server's verdict
/// and answer do not depend on how the request is split across reads.
@_cdecl("FuzzHandshake_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let input = bytes(data, size)
        let whole = verdict(ServerHandshake(), [input[...]])
        if input.count > 1 {
            let cut = Int(input[0]) % input.count
            let split = verdict(ServerHandshake(), [input[..<cut], input[cut...]])
            if split != whole { violated("server verdict changed by a split at \(cut): \(whole) vs \(split)") }
        }
        for version in [ProtocolVersion.rfc6455, .hybi08, .hixie76, .hixie75] {
            var random = SeededRandom(seed: 7)
            let configuration = ClientHandshakeConfiguration(version: version, host: "fuzz", deflateOffers: [ClientHandshakeConfiguration.browserDeflateOffer])
            var client = ClientHandshake(configuration: configuration, random: &random)
            _ = client.receive(input)
        }
        return 0
    }
}

/// The verdict, with the bytes the shell would pass on: `leftover` plus every later read.
private func verdict(_ handshake: ServerHandshake, _ pieces: [ArraySlice<UInt8>]) -> String {
    var handshake = handshake
    for (index, piece) in pieces.enumerated() {
        let later = pieces[(index + 1)...].flatMap { $0 }
        switch handshake.receive(piece) {
        case .needMoreData: continue
        case .accepted(let accepted): return "accepted \(accepted.version) \(accepted.response) \(accepted.leftover + later)"
        case .rejected(let error, let response): return "rejected \(error.identifier) \(response)"
        case .notWebSocket(let head, let leftover): return "plain \(head.method) \(head.target) \(leftover + later)"
        }
    }
    return "needMoreData"
}
