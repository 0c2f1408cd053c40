import ArgumentParser
import Bridge
import Capture
import Foundation
import Gateway
import NIOCore
import NIOPosix
import NIOSSL
import WebSocketCore

/// `passerelle client URL`: a client for every version the core speaks. Lines read from standard
/// input go out as messages; messages received are printed on standard output; the connection's
/// story (handshake, pings, close, and with `--show-frames` every frame both ways in the decoder's
/// format) on standard error. The exit status says how the connection ended (`ClientOutcome`).
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Connect to a WebSocket server in any version (RFC 6455, hybi-07/08, hixie-76, hixie-75) and exchange messages.",
        discussion: """
        Each line of standard input is sent as a text message (with --binary-hex: hex digits, sent as a binary \
        message); each message received is printed on standard output, one per line (binary ones in hex). Once \
        input has ended and nothing has arrived for --wait seconds, the client closes (--close CODE [REASON], \
        default 1000) and reads on until the server's answer.

        Exit status: 0 closed normally (1000, no code, the code --close sent, or the hixie closing handshake); \
        1 closed with another code, or the server broke the protocol; 2 the connection was lost without a close; 3 the handshake was \
        refused or its answer was wrong; 4 no connection (unreachable, or no answer in time); 64 bad arguments.

        Examples:
          echo Bonjour | passerelle client ws://127.0.0.1:11345/echo
          passerelle client ws://tv.local:11345/serveur.php --protocol hixie-76 --origin http://tv.local --show-frames
          passerelle client wss://example.org/chat --deflate --subprotocol chat.v1 --ca ca.pem
        """)

    @Argument(help: "ws://, wss:// (or hixie76+ws://, hixie76+wss://, hixie75+ws://, which set --protocol).")
    var url: String

    @Option(help: "13 (RFC 6455, the default), 8 or 7 (hybi drafts), hixie-76 or hixie-75.")
    var `protocol`: String?

    @Flag(help: "Offer permessage-deflate (RFC 7692) as browsers do: client_max_window_bits, context kept.")
    var deflate = false

    @Option(help: "Offer this subprotocol (repeatable, in order of preference).")
    var subprotocol: [String] = []

    @Option(help: "The Origin header (hixie-75 and -76 servers often require one).")
    var origin: String?

    @Option(help: "An extra request header, \"Name: value\" (repeatable).")
    var header: [String] = []

    @Flag(help: "wss://: accept any server certificate.")
    var insecure = false

    @Option(help: "wss://: trust the certificates in this PEM file instead of the system's.")
    var ca: String?

    @Flag(help: "Print every frame both ways, as `passerelle decode` prints a capture (standard error).")
    var showFrames = false

    @Flag(help: "Send a ping right after the handshake (RFC 6455; its pong is printed).")
    var ping = false

    @Option(parsing: .upToNextOption, help: "Close with CODE [REASON] when input ends (default 1000).")
    var close: [String] = []

    @Flag(help: "Input lines are hex digits sent as binary messages; binary messages are printed in hex.")
    var binaryHex = false

    @Option(help: "After input ends, close once nothing has arrived for this many seconds (0: at once).")
    var wait: Double = 1

    @Option(help: "Seconds for the TCP connection and the handshake.")
    var timeout: Double = 10

    @Option(help: "Largest message accepted from the server, in bytes (1009 past it).")
    var maxMessageSize: Int = ConnectionLimits().maxMessageSize

    func validate() throws {
        _ = try target()
        _ = try closing()
        _ = try extraHeaders()
        guard timeout > 0, wait >= 0, maxMessageSize > 0 else {
            throw ValidationError("--timeout and --max-message-size must be positive, --wait at least 0")
        }
        if ca != nil, insecure { throw ValidationError("--ca and --insecure exclude each other") }
    }

    func run() throws {
        let target = try target()
        let run = ClientRun(target: target, configuration: try handshakeConfiguration(for: target), options: self,
                            tls: try tlsContext(for: target), closeWith: try closing())
        throw ExitCode(run.start().rawValue)
    }

    // MARK: Arguments

    func target() throws -> RouteTarget {
        var target: RouteTarget
        do { target = try RouteTarget(url: url) } catch { throw ValidationError("\(error)") }
        guard let name = `protocol` else { return target }
        let versions: [String: ProtocolVersion] = ["13": .rfc6455, "8": .hybi08, "7": .hybi07, "hixie-76": .hixie76, "hixie-75": .hixie75]
        guard let version = versions[name.lowercased()] else {
            throw ValidationError("--protocol \(name): one of 13, 8, 7, hixie-76, hixie-75")
        }
        if version == .hixie75, target.secure { throw ValidationError("hixie-75 has no TLS form: use ws://") }
        target.version = version
        return target
    }

    func closing() throws -> (code: CloseCode, reason: String) {
        guard let first = close.first else { return (.normalClosure, "") }
        guard close.count <= 2, let number = UInt16(first), CloseCode(number).isValidOnWire else {
            throw ValidationError("--close CODE [REASON]: a code a peer may send (1000–1003, 1007–1014, 3000–4999)")
        }
        let code = CloseCode(number)
        let reason = close.count == 2 ? close[1] : ""
        guard reason.utf8.count <= 123 else { throw ValidationError("--close: a reason of at most 123 bytes (RFC 6455 §5.5)") }
        return (code, reason)
    }

    func extraHeaders() throws -> [(String, String)] {
        try header.map { line in
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ValidationError("--header \(line): expected \"Name: value\"")
            }
            return (String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                    String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
    }

    func handshakeConfiguration(for target: RouteTarget) throws -> ClientHandshakeConfiguration {
        var configuration = ClientHandshakeConfiguration(version: target.version, host: target.hostHeader, target: target.resource,
                                                         origin: origin, subprotocols: subprotocol,
                                                         deflateOffers: deflate && target.version.framing == .rfc6455
                                                             ? [ClientHandshakeConfiguration.browserDeflateOffer] : [],
                                                         extraHeaders: try extraHeaders())
        configuration.secure = target.secure
        return configuration
    }

    func tlsContext(for target: RouteTarget) throws -> NIOSSLContext? {
        guard target.secure else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure { tls.certificateVerification = .none }
        if let ca { tls.trustRoots = .file(ca) }
        do { return try NIOSSLContext(configuration: tls) } catch {
            throw ValidationError("TLS: \(ca.map { "--ca \($0): " } ?? "")\(error)")
        }
    }
}
