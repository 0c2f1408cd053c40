import Testing
import WebSocketCore

/// The byte spelling shared by fixtures, conformance cases, wire logs and the capture decoder.
@Suite struct HexTests {
    @Test func decodesEitherCaseAndIgnoresWhiteSpace() {
        #expect(Hex.decode("81 05\n48\t65\r\n6C 6c") == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C])
        #expect(Hex.decode("00ff0AfF") == [0x00, 0xFF, 0x0A, 0xFF])
        #expect(Hex.decode("") == [])
    }

    @Test func refusesAnOddCountOrANonDigit() {
        #expect(Hex.decode("810") == nil)
        #expect(Hex.decode("8 1 0") == nil)
        for bad in ["8g", "0x81", "81,05", "８１", "81é0", "/0", ":0", "@0", "G0", "`0"] {
            #expect(Hex.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func encodeAndDecodeAreInverse() {
        let all = (0...255).map(UInt8.init)
        #expect(Hex.decode(Hex.encode(all)) == all)
        #expect(Hex.decode(Hex.encode(all, separator: "")) == all)
        #expect(Hex.encode([0x81, 0x05]) == "81 05")
    }
}
