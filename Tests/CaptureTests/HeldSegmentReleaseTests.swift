import Capture
import Testing

/// A live capture that dropped a segment: the bytes after it are held while the segment may still
/// come (reordering, a retransmission); past the hold (`decode -`: 1 s of capture time) they go out
/// with the loss said, so the view goes on instead of waiting for the connection's end.
@Suite struct HeldSegmentReleaseTests {
    static func maskedText(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8), mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// "two" never reaches the capture; "three" comes at 0.3 s, "four" at 2.5 s, "five" at 2.6 s.
    static func capture() -> [UInt8] {
        var flow = SyntheticTCPFlow(client: TCPSegment.Endpoint(address: [127, 0, 0, 1], port: 40000),
                                    server: TCPSegment.Endpoint(address: [127, 0, 0, 1], port: 11345))
        var bytes = PcapngWriter.header(application: "HeldSegmentReleaseTests")
        func add(_ packets: [[UInt8]], at seconds: Double) {
            for packet in packets { bytes += PcapngWriter.packet(timestampNanos: UInt64(seconds * 1e9), data: packet) }
        }
        add(flow.open(), at: 0)
        add(flow.send(.c2s, Array("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8)), at: 0.01)
        add(flow.send(.s2c, Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8)), at: 0.02)
        add(flow.send(.c2s, maskedText("one")), at: 0.1)
        _ = flow.send(.c2s, maskedText("two"))   // dropped by the capture
        add(flow.send(.c2s, maskedText("three")), at: 0.3)
        add(flow.send(.c2s, maskedText("four")), at: 2.5)
        add(flow.send(.c2s, maskedText("five")), at: 2.6)
        return bytes
    }

    static func texts(_ records: [DecodeRecord]) -> [String] {
        records.compactMap { if case .message(let m) = $0, m.kind == "text" { return m.text } else { return nil } }
    }

    @Test func pastTheHoldTheLossIsSaidAndDecodingGoesOn() throws {
        var decoder = CaptureDecoder(options: .init(maxHoldNanoseconds: 1_000_000_000))
        let records = try decoder.feed(Self.capture())   // the connection has not ended
        #expect(Self.texts(records) == ["one", "three", "four", "five"])
        let gaps = records.compactMap { if case .gap(let g) = $0 { return g } else { return nil } }
        #expect(gaps.first?.bytes == Self.maskedText("two").count, "\(gaps)")
        #expect(!records.contains { if case .violation = $0 { return true }; return false })
        let summary = try decoder.finish().compactMap { if case .summary(let s) = $0 { return s } else { return nil } }.first
        #expect(summary?.missingBytes == Self.maskedText("two").count)
    }

    /// A file is read whole: held bytes wait for the connection's end (a late retransmission may
    /// still fill the hole), then go out the same way.
    @Test func withoutAHoldTheyWaitForTheEnd() throws {
        var decoder = CaptureDecoder()
        let records = try decoder.feed(Self.capture())
        #expect(Self.texts(records) == ["one"])
        #expect(Self.texts(try decoder.finish()) == ["three", "four", "five"])
    }
}
