import Capture
import Foundation
import Testing

/// Inputs FuzzCapture found crashing the decoder, kept under Fixtures/captures/fuzz/: each must
/// now decode to records or a clear error, never a trap.
@Suite struct FuzzFoundCaptureTests {
    static let folder = RealCaptureTests.folder.appendingPathComponent("fuzz")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test func thereAreSome() { #expect(!Self.files.isEmpty) }

    @Test(arguments: files)
    func decodesWithoutTrapping(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
        var decoder = CaptureDecoder()
        do {
            _ = try decoder.feed(bytes)
            _ = try decoder.finish()
        } catch {
            #expect(!"\(error)".isEmpty)
        }
    }

    /// The first one: a packet timestamp whose nanoseconds do not fit 64 bits saturates.
    @Test func hugeTimestampsSaturate() {
        #expect(CaptureFileReader.nanoseconds(UInt64.max, unitsPerSecond: 1_000_000) == Int64.max)
        #expect(CaptureFileReader.nanoseconds(1_700_000_000_000_000, unitsPerSecond: 1_000_000) == 1_700_000_000_000_000_000)
        #expect(CaptureFileReader.nanoseconds(5, unitsPerSecond: 0) == 0)
    }
}
