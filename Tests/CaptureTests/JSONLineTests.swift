@testable import Capture
import Foundation
import Testing

/// `decode --json` writes its lines itself: they must be exactly what `JSONEncoder` (sorted keys,
/// slashes unescaped) writes, for every record of every fixture capture and for strings and
/// numbers chosen to be awkward.
@Suite struct JSONLineTests {
    static func encoded(_ record: DecodeRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    @Test func everyRecordOfEveryFixtureCapture() throws {
        let files = FileManager.default.enumerator(at: RealCaptureTests.folder, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { ["pcap", "pcapng"].contains($0.pathExtension) }
        #expect(files.count > 15)
        var compared = 0
        for file in files {
            var decoder = CaptureDecoder(options: .init(maxPayload: 1 << 20))
            guard let records = try? decoder.feed(Array(Data(contentsOf: file))) + decoder.finish() else { continue }
            for record in records {
                #expect(record.jsonLine == (try Self.encoded(record)), "\(file.lastPathComponent)")
                compared += 1
            }
        }
        #expect(compared > 200)
    }

    @Test func awkwardStringsAndNumbers() throws {
        let texts = ["", "a/b", "quote \" and backslash \\", "lignes\nretour\rtab\tbell\u{7}\u{8}\u{C}\u{1B}\u{7F}", "été 🇫🇷 \u{2028}"]
        let times = [0, 1, 0.002838, 1e-7, 0.1 + 0.2, 1_765_098_123.123456, 123_456.789, 3e20]
        for (text, time) in zip(texts + texts, times) {
            let message = DecodeRecord.message(MessageRecord(connection: 1, time: time, direction: .s2c, kind: "text", compressed: false,
                                                            wireLength: 3, length: nil, text: text, hex: nil, truncated: true, closeCode: 1000,
                                                            note: text))
            #expect(message.jsonLine == (try Self.encoded(message)))
        }
        let summary = DecodeRecord.summary(SummaryRecord(id: 2, version: "hixie-76", extensions: nil, messages: ["s2c": 1, "c2s": 2],
                                                         frames: [:], bytes: ["c2s": 10], closeCodes: ["c2s": nil, "s2c": 1000]))
        #expect(summary.jsonLine == (try Self.encoded(summary)))
    }
}
