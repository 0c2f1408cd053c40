import ArgumentParser
import Capture
import Foundation

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode the WebSocket traffic of a pcap/pcapng capture: both framings, inflated payloads, violations.",
        discussion: """
        Finds HTTP upgrades on any port. Reads the file in 1 MiB chunks: memory stays bounded whatever its size. \
        With - it reads standard input and prints each frame as soon as it is complete, for a live view:
          tcpdump -i lo -w - -U port 11345 | passerelle decode -
          dumpcap -i lo -f 'tcp port 11345' -w - | passerelle decode --json -
        wss: with --tls-keylog (the NSS key log that SSLKEYLOGFILE and `serve --tls-keylog` write), TLS 1.2 \
        and 1.3 sessions with AES-GCM or ChaCha20-Poly1305 are decrypted; keys embedded in a pcapng \
        (editcap --inject-secrets) are read without it. Live, the key log is read again as it grows.
        """)

    @Argument(help: "The capture file (pcap or pcapng), or - for standard input.")
    var file: String

    @Option(help: "Only connections from or to this TCP port.")
    var port: UInt16?

    @Option(help: "Only this connection (ids as printed).")
    var connection: Int?

    @Flag(help: "One JSON record per line (schema in docs/decoding.md).")
    var json = false

    @Flag(help: "Binary payloads as spaced hex.")
    var hex = false

    @Option(help: "Characters of text (bytes of binary) shown per message.")
    var maxPayload: Int = 120

    @Option(name: .customLong("tls-keylog"), help: ArgumentHelp("An NSS key log (SSLKEYLOGFILE format) that opens the capture's TLS sessions.", valueName: "file"))
    var tlsKeyLog: String?

    @Option(help: ArgumentHelp("Seconds that bytes after a missing segment wait for it before it is declared lost (default: 1 with -, until the connection ends for a file).", valueName: "seconds"))
    var holdSeconds: Double?

    @Option(help: "Bytes held of one unfinished message (memory stays bounded on an endless stream); longer ones are shown without content.")
    var maxMessageBytes: Int = 16 << 20

    func validate() throws {
        guard maxPayload >= 0 else { throw ValidationError("--max-payload must be ≥ 0") }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        if let holdSeconds { guard holdSeconds > 0 else { throw ValidationError("--hold-seconds must be positive") } }
    }

    func run() throws {
        let live = file == "-"
        guard let handle = live ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
            throw ValidationError("cannot open \(file)")
        }
        var keyLog = try tlsKeyLog.map { path throws -> KeyLogFollower in
            guard let follower = KeyLogFollower(path: path) else { throw ValidationError("cannot read the key log \(path)") }
            return follower
        }
        // Live, a dropped segment never comes: waiting for the connection's end would stop the view.
        let hold = holdSeconds ?? (live ? 1 : nil)
        var decoder = CaptureDecoder(options: .init(port: port, connection: connection, maxPayload: maxPayload, maxMessageBytes: maxMessageBytes,
                                                    maxHoldNanoseconds: hold.map { Int64($0 * 1e9) }),
                                     secrets: keyLog?.readNewLines() ?? TLSSecrets())
        let output = FileHandle.standardOutput
        func emit(_ records: [DecodeRecord]) throws {
            var text = ""
            for record in records {
                text += json ? record.jsonLine : TimelineRenderer.render(record, hex: hex)
                text += "\n"
            }
            if !text.isEmpty { output.write(Data(text.utf8)) }
        }
        do {
            while true {
                // Standard input: whatever has arrived, so that each frame prints as it completes.
                let chunk = live ? handle.availableData : handle.readData(ofLength: 1 << 20)
                if chunk.isEmpty { break }
                // Live, the peers write their keys while the capture runs.
                if live, let more = keyLog?.readNewLines(), !more.isEmpty { decoder.add(secrets: more) }
                try emit(decoder.feed(chunk))
            }
            try emit(decoder.finish())
        } catch let error as CaptureError {
            FileHandle.standardError.write(Data("decode: \(live ? "standard input" : file): \(error)\n".utf8))
            throw ExitCode(2)
        }
        let stats = decoder.statistics
        if !json {
            var line = "\n\(stats.packets) packets, \(stats.tcpSegments) TCP segments, \(stats.connections) connections, \(stats.webSocketConnections) WebSocket"
            if !stats.skipped.isEmpty {
                line += "; skipped: " + stats.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            }
            print(line)
        }
        _ = output
    }
}

/// A key log read as it grows: each call returns the whole lines added since the last one.
struct KeyLogFollower {
    private let handle: FileHandle
    private var partialLine: [UInt8] = []

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    mutating func readNewLines() -> TLSSecrets {
        let added = (try? handle.readToEnd()) ?? nil
        guard let added, !added.isEmpty else { return TLSSecrets() }
        var bytes = partialLine + Array(added)
        let end = (bytes.lastIndex(of: 0x0A) ?? -1) + 1
        partialLine = Array(bytes[end...])
        bytes.removeSubrange(end...)
        return TLSSecrets(keyLog: bytes)
    }
}
