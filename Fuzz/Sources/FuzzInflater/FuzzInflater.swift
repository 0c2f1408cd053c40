import FuzzSupport
import WebSocketCore

/// The permessage-deflate inflater with its size budget. Properties: no crash; a successful
/// inflation never exceeds the budget; anything our deflater compresses inflates back to itself
/// at every window size.
@_cdecl("FuzzInflater_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let input = bytes(data, size)
        guard input.count >= 2 else { return 0 }
        let windowBits = 9 + Int(input[0] % 7)
        let limit = 1 << Int(input[1] % 22)
        let payload = Array(input[2...])
        guard let inflater = try? Inflater(windowBits: windowBits) else { violated("inflateInit2 failed at \(windowBits) bits") }
        var output: [UInt8] = []
        do throws(WebSocketError) {
            try inflater.inflate(payload, into: &output, limit: limit)
            try inflater.finishMessage(into: &output, limit: limit)
            if output.count > limit { violated("inflated \(output.count) bytes past a \(limit)-byte budget") }
        } catch {
            // Corrupt data and blown budgets are the expected refusals.
        }
        guard let deflater = try? Deflater(windowBits: windowBits), let back = try? Inflater(windowBits: windowBits) else {
            violated("zlib init failed at \(windowBits) bits")
        }
        let compressed = deflater.compress(payload)
        var roundTrip: [UInt8] = []
        do throws(WebSocketError) {
            try back.inflate(compressed, into: &roundTrip, limit: payload.count)
            try back.finishMessage(into: &roundTrip, limit: payload.count)
        } catch {
            violated("our own compressed bytes did not inflate: \(error)")
        }
        if roundTrip != payload { violated("round trip changed \(payload.count) bytes at \(windowBits) bits") }
        return 0
    }
}
