import Testing
import WebSocketCore

/// RFC 6455 §5.3 masking, checked against the definition byte by byte: in place and as a copy,
/// at every offset into the key and every length around the 8-byte fast path's edges.
@Suite struct MaskingTests {
    static let key: UInt32 = 0x37FA_213D

    /// payload[i] ^ key byte ((offset + i) mod 4), written out as the RFC states it.
    static func definition(_ bytes: [UInt8], offset: Int) -> [UInt8] {
        let keyBytes = [UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)]
        return bytes.enumerated().map { $0.element ^ keyBytes[($0.offset + offset) % 4] }
    }

    @Test(arguments: 0..<4)
    func inPlaceAndCopyMatchTheDefinition(_ offset: Int) {
        for length in 0...41 {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var inPlace = payload
            Masking.apply(key: Self.key, to: &inPlace, offset: offset)
            let copied = payload.withUnsafeBufferPointer { Masking.applied(key: Self.key, to: $0, offset: offset) }
            #expect(inPlace == Self.definition(payload, offset: offset), "in place, length \(length)")
            #expect(copied == inPlace, "copy, length \(length)")
            // XOR is its own inverse: masking twice gives the payload back.
            Masking.apply(key: Self.key, to: &inPlace, offset: offset)
            #expect(inPlace == payload)
        }
    }

    /// The RFC's own example (§5.7): "Hello" masked with 37 fa 21 3d.
    @Test func rfcExample() {
        let masked: [UInt8] = [0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let unmasked = masked.withUnsafeBufferPointer { Masking.applied(key: Self.key, to: $0) }
        #expect(String(decoding: unmasked, as: UTF8.self) == "Hello")
    }
}
