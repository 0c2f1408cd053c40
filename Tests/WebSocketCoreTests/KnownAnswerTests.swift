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
