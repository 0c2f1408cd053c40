import Foundation
import Testing

/// `passerelle decode -`: a capture piped in is decoded as it arrives — each frame printed once
/// complete, before the stream ends — and to exactly what decoding the file prints.
@Suite(.ownThread) struct DecodeCommandPeerTests {
    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/captures")

    @Test(arguments: ["python-websockets-deflate.pcapng", "perl-hixie76.pcapng"])
    func standardInputPrintsFramesAsTheyComplete(capture: String) throws {
        let file = Self.captures.appendingPathComponent(capture)
        let bytes = try Data(contentsOf: file)
        let whole = try PeerProcess.run(GatewayLifecycleTests.binary.path, ["decode", file.path], timeout: 30)
        #expect(whole.status == 0, "\(whole)")

        let live = try PeerProcess.start(GatewayLifecycleTests.binary.path, ["decode", "-"])
        live.write(bytes.prefix(bytes.count * 3 / 4))
        let deadline = Date().addingTimeInterval(20)
        while !live.outputSoFar.contains("TEXT") && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(live.outputSoFar.contains("TEXT"), "messages in the first three quarters are printed before the stream ends")
        live.write(bytes.suffix(from: bytes.count * 3 / 4))
        let piped = live.finish(timeout: 30)
        #expect(piped.status == 0, "\(piped)")
        #expect(piped.stdout == whole.stdout)
    }

    @Test func garbageOnStandardInputIsAClearError() throws {
        let run = try PeerProcess.run(GatewayLifecycleTests.binary.path, ["decode", "-"], stdin: Data("not a capture at all".utf8), timeout: 30)
        #expect(run.status == 2 && run.stderr.contains("decode: standard input:"), "\(run)")
    }
}
