import Testing
import WebSocketCore

/// The known answers the specifications print, checked directly (the fixtures check them too).
@Suite struct KnownAnswerTests {
    @Test func rfc6455AcceptKey() {
        #expect(AcceptKey.compute(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func hixie76Answer() throws {
        let n1 = try HixieChallenge.number(fromKey: "4 @1  46546xW%0l 1 5").get()
        let n2 = try HixieChallenge.number(fromKey: "12998 5 Y3 1  .P00").get()
        let answer = HixieChallenge.answer(number1: n1, number2: n2, key3: Array("^n:ds[4U".utf8))
        #expect(answer == Array("8jKS'y:G*Co,Wxa-".utf8))
    }

    @Test func rfc7692HelloCompressesToSpecBytes() throws {
        let deflater = try Deflater(windowBits: 15)
        #expect(deflater.compress(Array("Hello".utf8)) == [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
        #expect(deflater.compress(Array("Hello".utf8)) == [0xf2, 0x00, 0x11, 0x00, 0x00])
    }

    @Test func zlibRefusesWindowBits8ForDeflateButInflates() {
        // The fact behind DeflateConfiguration.WindowBits8Policy.
        #expect(throws: Deflater.InitError.self) { _ = try Deflater(windowBits: 8) }
        #expect(throws: Never.self) { _ = try Inflater(windowBits: 8) }
    }
}

/// The validator's eight-bytes-at-a-time ASCII path agrees with the byte-by-byte one, at every
/// alignment and split, on valid and invalid text.
@Suite struct UTF8ValidatorFastPathTests {
    static func slow(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        for byte in bytes where !validator.feed(CollectionOfOne(byte)) { return false }
        return validator.isComplete
    }

    @Test func agreesWithByteByByteEverywhere() {
        let samples: [[UInt8]] = [
            Array("bonjour le salon, passerelle t\u{e9}l\u{e9} \u{20ac} \u{1D11E} fin".utf8),
            Array(String(repeating: "a", count: 37).utf8) + [0xE2, 0x82] + Array("abcdefghij".utf8),     // cut sequence
            Array(String(repeating: "b", count: 20).utf8) + [0xC0, 0x80] + Array("abcdefgh".utf8),       // overlong
            Array(String(repeating: "c", count: 16).utf8) + [0xED, 0xA0, 0x80],                          // surrogate
            Array(String(repeating: "d", count: 9).utf8) + [0xF4, 0x90, 0x80, 0x80],                     // > U+10FFFF
            Array(String(repeating: "e", count: 64).utf8) + [0xFF],
        ]
        for sample in samples {
            for offset in 0..<8 {
                let shifted = Array(sample.dropFirst(offset))
                #expect(UTF8Validator.isValid(shifted) == Self.slow(shifted), "offset \(offset): \(shifted)")
                for split in stride(from: 0, through: shifted.count, by: 3) {
                    var validator = UTF8Validator()
                    let valid = validator.feed(shifted[..<split]) && validator.feed(shifted[split...]) && validator.isComplete
                    #expect(valid == Self.slow(shifted), "split \(split)")
                }
            }
        }
    }
}
