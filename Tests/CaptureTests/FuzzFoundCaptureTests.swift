import Capture
import Foundation
import Testing

/// Inputs FuzzCapture found crashing the decoder, kept under Fixtures/captures/fuzz/: each now
/// ends in its documented error, never a trap.
@Suite struct FuzzFoundCaptureTests {
    static let folder = RealCaptureTests.folder.appendingPathComponent("fuzz")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// What each file must give: the decoder's error, word for word (a file that decodes gives
    /// records instead, and says so here).
    static let documented: [String: String] = [
        "pcapng-huge-timestamp-resolution.pcapng": "malformed capture: block of 0 bytes",
        "resync-huge-frame-length.pcapng": "malformed capture: record of 4294967295 bytes",
    ]

    @Test func everyFileHasItsDocumentedOutcome() { #expect(Set(Self.files) == Set(Self.documented.keys)) }

    @Test(arguments: files)
    func decodesToItsDocumentedOutcome(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
        var decoder = CaptureDecoder()
        do {
            _ = try decoder.feed(bytes)
            _ = try decoder.finish()
            Issue.record("\(name) decoded without the error it documents: \(Self.documented[name] ?? "none")")
        } catch {
            #expect("\(error)" == Self.documented[name], "\(name)")
        }
    }

    /// The first one: a packet timestamp whose nanoseconds do not fit 64 bits saturates.
    @Test func hugeTimestampsSaturate() {
        #expect(CaptureFileReader.nanoseconds(UInt64.max, unitsPerSecond: 1_000_000) == Int64.max)
        #expect(CaptureFileReader.nanoseconds(1_700_000_000_000_000, unitsPerSecond: 1_000_000) == 1_700_000_000_000_000_000)
        #expect(CaptureFileReader.nanoseconds(5, unitsPerSecond: 0) == 0)
    }
}
