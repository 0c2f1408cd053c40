import Capture
import Foundation
import Testing

/// Captures of real sessions (scripts/capture-fixtures: dumpcap on loopback) decode to exactly
/// what was sent, and agree with tshark frame by frame.
@Suite struct RealCaptureTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/captures")

    struct Capture: CustomStringConvertible, Sendable {
        let name: String
        let port: Int
        let sent: [String]
        let description_: String
        var description: String { name }
        var file: URL { RealCaptureTests.folder.appendingPathComponent(name + ".pcapng") }
    }

    static let captures: [Capture] = {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" && FileManager.default.fileExists(atPath: $0.deletingPathExtension().path + ".pcapng") }
            .sorted { $0.path < $1.path }
            .compactMap { url in
                guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
                      let port = object["port"] as? Int, let sent = object["sent"] as? [String] else { return nil }
                return Capture(name: url.deletingPathExtension().lastPathComponent, port: port, sent: sent,
                               description_: object["description"] as? String ?? "")
            }
    }()

    static func decode(_ url: URL, maxPayload: Int = 1 << 20) throws -> [DecodeRecord] {
        var decoder = CaptureDecoder(options: .init(maxPayload: maxPayload))
        var records = try decoder.feed(Array(Data(contentsOf: url)))
        records += try decoder.finish()
        return records
    }

    /// A sidecar entry as the decoder shows it: text, `hex:…` for binary, `repeat:x:N`.
    static func expected(_ entry: String) -> (kind: String, value: String) {
        if entry.hasPrefix("hex:") { return ("binary", String(entry.dropFirst(4))) }
        if entry.hasPrefix("repeat:") {
            let parts = entry.split(separator: ":")
            return ("text", String(repeating: String(parts[1]), count: Int(parts[2])!))
        }
        return ("text", entry)
    }

    @Test func capturesArePresent() {
        #expect(Self.captures.count >= 6, "Fixtures/captures holds \(Self.captures.count) sessions")
    }

    @Test(arguments: captures)
    func decodesToWhatWasSent(_ capture: Capture) throws {
        let records = try Self.decode(capture.file)
        let violations = records.compactMap { if case .violation(let v) = $0 { return v } else { return nil } }
        #expect(violations.isEmpty, "\(violations)")
        let connections = records.compactMap { if case .connection(let c) = $0 { return c } else { return nil } }
        #expect(connections.count == 1)
        let messages = records.compactMap { record -> MessageRecord? in
            if case .message(let m) = record, m.kind == "text" || m.kind == "binary" { return m }
            return nil
        }
        let sent = capture.sent.map(Self.expected)
        let observed: (Direction) -> [(String, String)] = { direction in
            messages.filter { $0.direction == direction }.map { ($0.kind, $0.kind == "text" ? ($0.text ?? "") : ($0.hex ?? "")) }
        }
        if capture.name.hasPrefix("ruby") {
            // The room answers with its own JSON line.
            #expect(observed(.s2c).map(\.1) == sent.map(\.value))
        } else {
            #expect(observed(.c2s).map(\.0) == sent.map(\.kind) && observed(.c2s).map(\.1) == sent.map(\.value), "client → server")
            #expect(observed(.s2c).map(\.1) == sent.map(\.value), "the echo, server → client")
        }
        let summary = try #require(records.compactMap { if case .summary(let s) = $0 { return s } else { return nil } }.first)
        #expect(summary.version == connections[0].version)
        if capture.name.contains("deflate") || capture.name.contains("chromium") || capture.name.contains("no-context") {
            #expect(connections[0].extensions?.hasPrefix("permessage-deflate") == true)
            #expect(messages.allSatisfy { $0.compressed })
        }
        if capture.name.contains("no-context-takeover") {
            #expect(connections[0].extensions == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        }
    }

    /// For every RFC 6455 frame: opcode, FIN, mask, payload length and the (inflated) text as
    /// tshark dissects them.
    @Test(arguments: captures.filter { !$0.name.contains("hixie") })
    func agreesWithTshark(_ capture: Capture) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tshark", "-r", capture.file.path, "-d", "tcp.port==\(capture.port),http", "-Y", "websocket",
                             "-T", "json", "--no-duplicate-keys", "-J", "websocket"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "tshark failed")
        let packets = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var theirs: [[String: Any]] = []
        for packet in packets {
            let layers = (packet["_source"] as? [String: Any])?["layers"] as? [String: Any]
            switch layers?["websocket"] {
            case let one as [String: Any]: theirs.append(one)
            case let many as [[String: Any]]: theirs += many
            default: break
            }
        }
        // Ours: `passerelle decode --json`, the documented JSON Lines.
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("passerelle")
        let decode = Process()
        decode.executableURL = binary
        decode.arguments = ["decode", capture.file.path, "--json", "--max-payload", "1000000"]
        let ourPipe = Pipe()
        decode.standardOutput = ourPipe
        try decode.run()
        let ourData = ourPipe.fileHandleForReading.readDataToEndOfFile()
        decode.waitUntilExit()
        #expect(decode.terminationStatus == 0)
        let lines = try String(decoding: ourData, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let ours = lines.filter { $0["type"] as? String == "frame" }
        #expect(ours.count == theirs.count, "frames: ours \(ours.count), tshark \(theirs.count)")
        let texts = lines.filter { $0["type"] as? String == "message" && $0["kind"] as? String == "text" }.map { $0["text"] as? String ?? "" }
        var textIndex = 0, comparedTexts = 0
        for (frame, dissected) in zip(ours, theirs) {
            #expect(String(frame["opcode"] as? Int ?? -1) == dissected["websocket.opcode"] as? String)
            #expect((frame["fin"] as? Bool == true ? "1" : "0") == dissected["websocket.fin"] as? String)
            #expect((frame["masked"] as? Bool == true ? "1" : "0") == dissected["websocket.mask"] as? String)
            let length = (dissected["websocket.payload_length_ext_64"] ?? dissected["websocket.payload_length_ext_16"]
                          ?? dissected["websocket.payload_length"]) as? String
            #expect(String(frame["payloadLength"] as? Int ?? -1) == length, "payload length of frame \(frame)")
            let isText = frame["opcodeName"] as? String == "text"
            if isText, let payload = dissected["websocket.payload"] as? [String: Any],
               let text = payload["websocket.payload.text"] as? String, textIndex < texts.count {
                // tshark shows the inflated text of each (single-frame) message.
                #expect(texts[textIndex] == text, "text of frame \(textIndex)")
                comparedTexts += 1
            }
            if isText { textIndex += 1 }
        }
        #expect(comparedTexts > 0, "tshark showed no text to compare")
    }
}
