import Testing
import Capture

/// A live conversation fed as it is written and read (`passerelle client --show-frames`): the same
/// records as a capture of it, whatever the segments — a hixie-76 answer whose 16 bytes come
/// after its head in a later segment included (faye-websocket writes them apart).
@Suite struct LiveConnectionDecoderTests {
    static let endpoint = TCPSegment.Endpoint(address: [127, 0, 0, 1], port: 80)

    @Test(arguments: [false, true])
    func hixie76AnswerInOneOrTwoSegments(split: Bool) {
        var decoder = LiveConnectionDecoder(client: Self.endpoint, server: Self.endpoint)
        let request = Array(("GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n"
            + "Origin: http://example.com\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n").utf8)
            + Array("^n:ds[4U".utf8)
        let head = Array(("HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n\r\n").utf8)
        let answer = Array("8jKS'y:G*Co,Wxa-".utf8)
        var records = decoder.feed(request, direction: .c2s, atNanoseconds: 0)
        if split {
            records += decoder.feed(head, direction: .s2c, atNanoseconds: 1)
            records += decoder.feed(answer, direction: .s2c, atNanoseconds: 2)
        } else {
            records += decoder.feed(head + answer, direction: .s2c, atNanoseconds: 1)
        }
        records += decoder.feed([0x00] + Array("Bonjour".utf8) + [0xFF], direction: .s2c, atNanoseconds: 3)
        records += decoder.finish(atNanoseconds: 4)
        let texts = records.compactMap { record -> String? in
            if case .message(let message) = record { return message.text }
            return nil
        }
        #expect(texts == ["Bonjour"], "\(records)")
        let connection = records.compactMap { record -> String? in
            if case .connection(let connection) = record { return connection.version }
            return nil
        }
        #expect(connection == ["hixie-76"])
        let summaries = records.compactMap { record -> Int? in
            if case .summary(let summary) = record { return summary.bytes["s2c"] }
            return nil
        }
        #expect(summaries == [head.count + answer.count + 9])
    }
}
