import Conformance
import Foundation
import Testing

/// The byte notation that fixtures and conformance cases share (Fixtures/README.md).
@Suite struct ByteNotationTests {
    private func bytes(_ json: String) throws -> [UInt8] {
        try JSONDecoder().decode(FixtureBytesValue.self, from: Data(json.utf8)).bytes(relativeTo: nil)
    }

    @Test func repeatCopiesTheUnitExactlyCountTimes() throws {
        for count in [0, 1, 2, 3, 7, 1000, 65_537] {
            let unit: [UInt8] = [0x61, 0x62, 0x63]
            let expected = (0..<count).flatMap { _ in unit }
            #expect(try bytes(#"{"repeat": {"hex": "61 62 63"}, "count": \#(count)}"#) == expected, "count \(count)")
        }
        #expect(try bytes(#"{"repeat": "x", "count": 16777216}"#) == [UInt8](repeating: 0x78, count: 1 << 24))
        #expect(try bytes(#"{"repeat": [], "count": 5}"#) == [])
    }

    @Test func listsRepeatsAndTextNest() throws {
        #expect(try bytes(#"[{"hex": "81 05"}, {"repeat": [{"text": "ab"}, {"hex": "00"}], "count": 2}, "z"]"#)
                == [0x81, 0x05, 0x61, 0x62, 0x00, 0x61, 0x62, 0x00, 0x7A])
    }

    @Test func aFileNeedsAFolderAndBadHexSaysSo() {
        #expect(throws: ConformanceError.self) { try bytes(#"{"file": "x.bin"}"#) }
        #expect(throws: ConformanceError.self) { try bytes(#"{"hex": "8"}"#) }
    }
}
