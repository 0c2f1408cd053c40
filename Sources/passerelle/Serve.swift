import ArgumentParser
import Bridge
import Cluster
import Dispatch
import Foundation
import Gateway
import Logging
import WebSocketCore

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway: the chat page at /, the room at /, /serveur.php and /chat, an echo at /echo, and routes to your backends.",
        discussion: """
            Every limit has a default; SIGINT/SIGTERM close every member with its closing handshake and exit 0.

            Bridge (docs/bridge.md): --route PATH=URL relays PATH, in any version a client speaks, to a backend. \
            The URL's scheme is the backend's version: ws:// and wss:// (RFC 6455), hixie76+ws://, hixie76+wss://, hixie75+ws://. \
            The same PATH twice: two backends, taken in turn. Legacy devices to a modern backend:
              passerelle serve --route /chat=ws://127.0.0.1:8080/chat
            Browsers to a phpwebsocket-style hixie-76 backend:
              passerelle serve --route /app=hixie76+ws://10.0.0.5:11345/serveur.php --route-options /app=phpwebsocket
            """)

    @Option(help: "Address to listen on (env PASSERELLE_HOST).")
    var host: String = ProcessInfo.processInfo.environment["PASSERELLE_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on; 11345 is the tutorial's (env PASSERELLE_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["PASSERELLE_PORT"] ?? "") ?? 11345

    @Option(help: "Largest frame payload accepted, in bytes (close 1009 beyond).")
    var maxFrameSize: Int = ConnectionLimits().maxFrameSize

    @Option(help: "Largest message accepted, counted after inflation, in bytes (close 1009 beyond).")
    var maxMessageSize: Int = ConnectionLimits().maxMessageSize

    @Option(help: "Largest HTTP handshake head, in bytes (431 beyond).")
    var maxHeadBytes: Int = HTTPHeadLimits().maxHeadBytes

    @Option(help: "Largest number of header lines in a handshake (431 beyond).")
    var maxHeaderCount: Int = HTTPHeadLimits().maxHeaderCount

    @Option(help: "Seconds to complete the handshake, hixie-76 key3 included (408 beyond).")
    var handshakeTimeout: Double = GatewayConfiguration().handshakeTimeoutSeconds

    @Option(help: "Seconds of silence before an RFC 6455 member is pinged (0 = never).")
    var pingInterval: Double = GatewayConfiguration().pingIntervalSeconds

    @Option(help: "Seconds of silence (no pong either) before an RFC 6455 member is closed with 1001 (0 = never).")
    var idleTimeout: Double = GatewayConfiguration().idleTimeoutSeconds

    @Option(help: "Seconds of silence before a hixie member is closed (0 = never; they cannot answer pings).")
    var hixieIdleTimeout: Double = GatewayConfiguration().hixieIdleTimeoutSeconds

    @Option(help: "Seconds a peer has to answer this server's close before TCP is dropped.")
    var closeTimeout: Double = GatewayConfiguration().closeTimeoutSeconds

    @Option(help: "Bytes queued for one member before it is closed as a slow consumer (1008).")
    var maxQueuedBytes: Int = GatewayConfiguration().maxQueuedBytesPerMember

    @Option(help: "Open connections; beyond, new ones get 503.")
    var maxConnections: Int = GatewayConfiguration().maxConnections

    @Option(help: "Open connections from one IP address; beyond, new ones from it get 429.")
    var maxConnectionsPerAddress: Int = GatewayConfiguration().maxConnectionsPerAddress

    @Option(help: "Bytes queued for all members together; past it, a member over an equal share is closed (1008).")
    var maxBufferedBytesTotal: Int = GatewayConfiguration().maxBufferedBytesTotal

    @Option(help: "Seconds between checks that return freed heap to the system after many connections left (0 = never).")
    var heapTrimInterval: Double = GatewayConfiguration().heapTrimIntervalSeconds

    @Option(help: "PEM certificate chain: serve wss:// and https:// on the port (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Oldest TLS version accepted: 1.0, 1.1, 1.2 or 1.3 (1.0 only for devices that need it; see SECURITY.md).")
    var tlsMinVersion: String = TLSSettings.Version.tls12.rawValue

    @Option(help: "Append every TLS session's secrets to this file (NSS key log format, as SSLKEYLOGFILE) so that captures of wss can be decrypted. Off by default; anyone who reads the file can read the traffic.")
    var tlsKeylog: String?

    @Option(help: "Allowed Origin (repeatable); none = every origin, `null` included (the tutorial's file:// page).")
    var allowOrigin: [String] = []

    @Option(help: "Largest deflate window Passerelle compresses with (9–15; lower saves memory).")
    var deflateWindowBits: Int = 15

    @Option(help: "zlib memLevel of Passerelle's compressors (1–9): memory per compressor ≈ 2^(window+2) + 2^(level+9) bytes.")
    var deflateMemoryLevel: Int = GatewayConfiguration.defaultDeflate.memoryLevel

    @Option(help: "zlib compression level of Passerelle's compressors (1 fastest … 9 smallest; -1 = zlib's default, 6).")
    var deflateLevel: Int = GatewayConfiguration.defaultDeflate.compressionLevel

    @Flag(help: "Never negotiate permessage-deflate.")
    var noDeflate = false

    @Flag(help: "Keep a compressor with its context per deflate member (better ratio on similar lines, ~100 KB per member). Default: server_no_context_takeover, each room line compressed once for all deflate members.")
    var deflateContextTakeover = false

    @Flag(help: "Ask deflate clients to compress each message afresh (client_no_context_takeover, RFC 7692 §7.1.1.2): a member quiet for a second then holds no inflater (≈ 7 KB of state plus the window pages it touched), at some cost in ratio on what clients send.")
    var deflateClientNoContextTakeover = false

    @Flag(help: "Log the body of every received message (first 200 bytes). Off: logs never contain what members say.")
    var logPayloads = false

    @Flag(help: "Refuse hixie-75/76 (426 naming 13, 8, 7): no unmasked legacy framing on this port (see SECURITY.md).")
    var noLegacy = false

    @Option(help: "Write each connection's traffic to DIR as pcapng (readable by tshark and `passerelle decode`).")
    var record: String?

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Share the room with every instance on this PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=require] (env PASSERELLE_CLUSTER). Without it the room lives in this process only.")
    var cluster: String?

    /// --cluster, else PASSERELLE_CLUSTER.
    private var clusterURL: String? { cluster ?? ProcessInfo.processInfo.environment["PASSERELLE_CLUSTER"] }

    @Option(help: "This instance's name in the cluster (default: host-pid-random; unique per running process).")
    var clusterInstance: String?

    @Option(help: "The cluster room this gateway's room paths lead to (the same on every instance).")
    var clusterRoom: String = "chat"

    @Option(help: "Lines waiting for the database (slow or down) before a member who speaks is closed with 1013.")
    var clusterOutbox: Int = 4_096

    @Option(help: "Seconds rows are kept in the cluster table (0 = no age limit).")
    var clusterRetentionAge: Double = 86_400

    @Option(help: "Rows kept per room in the cluster table (0 = no count limit).")
    var clusterRetentionCount: Int = 100_000

    @Option(help: "Seconds between retention passes.")
    var clusterRetentionInterval: Double = 60

    @Option(help: "NOTIFY payloads above this many bytes carry a reference; receivers read the row (PostgreSQL's limit is 8000).")
    var clusterNotifyInlineLimit: Int = 7_900

    @Option(help: "Seconds a missing sequence is awaited on the LISTEN connection before the table is read.")
    var clusterGapGrace: Double = 0.1

    @Option(help: ArgumentHelp("A file of these flags, one per line without its -- (`route /chat=ws://…`); the command line's own flags win.", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("route"), help: ArgumentHelp("Relay PATH to a backend: PATH=URL, URL ws://, wss://, hixie76+ws://, hixie76+wss:// or hixie75+ws:// (repeatable; a PATH twice: round robin).", valueName: "PATH=URL"))
    var routes: [String] = []

    @Option(name: .customLong("route-options"), help: ArgumentHelp("A route's options: PATH=OPT[,OPT…] with binary=close|drop|utf8, origin=URL, one-write-handshake, key3-without-newline, frame-per-write, close-by-fin, phpwebsocket (all four).", valueName: "PATH=OPTS"))
    var routeOptions: [String] = []

    @Option(help: "Seconds a route's backend has to accept the upgrade (504 to the client beyond).")
    var upstreamTimeout: Double = GatewayConfiguration().upstreamTimeoutSeconds

    @Option(help: "Seconds between health checks of every route's upstreams (a TCP connection; down ones are tried last; 0 = never).")
    var upstreamHealthInterval: Double = GatewayConfiguration().upstreamHealthIntervalSeconds

    @Option(help: "Seconds of silence before a route's hixie backend is closed (0 = never; RFC 6455 backends follow --ping-interval and --idle-timeout).")
    var upstreamHixieIdleTimeout: Double = 0

    @Option(help: "Bytes relayed to one leg of a bridged pair and not yet taken, past which the other leg is not read.")
    var bridgeQueueBytes: Int = GatewayConfiguration().bridgeQueueBytes

    @Option(help: "PEM certificate authorities that wss:// backends are verified against (default: the system's).")
    var upstreamCaFile: String?

    @Option(name: .customLong("trusted-proxy"), help: ArgumentHelp("An address whose X-Forwarded-* and Forwarded headers routes keep and extend (repeatable).", valueName: "IP"))
    var trustedProxies: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        guard maxFrameSize > 0, maxMessageSize > 0, maxHeadBytes >= 256, maxHeaderCount > 0, maxQueuedBytes > 0, maxConnections > 0, maxConnectionsPerAddress > 0, maxBufferedBytesTotal > 0, threads > 0 else {
            throw ValidationError("limits must be positive (--max-head-bytes at least 256)")
        }
        guard handshakeTimeout > 0, closeTimeout > 0, pingInterval >= 0, heapTrimInterval >= 0, idleTimeout >= 0, hixieIdleTimeout >= 0 else {
            throw ValidationError("timeouts must be positive (0 disables --ping-interval and the idle timeouts)")
        }
        if let record {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: record, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--record \(record): no such directory")
            }
        }
        guard (9...15).contains(deflateWindowBits) else { throw ValidationError("--deflate-window-bits must be 9–15") }
        guard (1...9).contains(deflateMemoryLevel) else { throw ValidationError("--deflate-memory-level must be 1–9") }
        guard deflateLevel == -1 || (1...9).contains(deflateLevel) else { throw ValidationError("--deflate-level must be 1–9 or -1") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsKeylog != nil, tlsCert == nil { throw ValidationError("--tls-keylog needs --tls-cert and --tls-key") }
        guard TLSSettings.Version(rawValue: tlsMinVersion) != nil else {
            throw ValidationError("--tls-min-version must be one of \(TLSSettings.Version.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        do { _ = try BridgeRoute.table(routes: routes, options: routeOptions) } catch { throw ValidationError("--route: \(error)") }
        guard upstreamTimeout > 0, bridgeQueueBytes > 0, upstreamHixieIdleTimeout >= 0, upstreamHealthInterval >= 0 else { throw ValidationError("--upstream-timeout and --bridge-queue-bytes must be positive, the upstream idle and health delays at least 0") }
        if let upstreamCaFile, !FileManager.default.isReadableFile(atPath: upstreamCaFile) {
            throw ValidationError("--upstream-ca-file \(upstreamCaFile): cannot read it")
        }
        if let cluster = clusterURL {
            do { _ = try ClusterDatabaseURL(cluster) } catch { throw ValidationError("--cluster: \(error)") }
            guard clusterOutbox > 0, clusterRetentionAge >= 0, clusterRetentionCount >= 0, clusterRetentionInterval > 0, clusterGapGrace >= 0 else {
                throw ValidationError("--cluster-outbox and --cluster-retention-interval must be positive, the other cluster figures at least 0")
            }
            guard (64..<8000).contains(clusterNotifyInlineLimit) else { throw ValidationError("--cluster-notify-inline-limit must be 64–7999") }
            guard !clusterRoom.isEmpty else { throw ValidationError("--cluster-room must not be empty") }
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "passerelle")
        var handshake = GatewayConfiguration.defaultHandshake
        handshake.headLimits = HTTPHeadLimits(maxHeadBytes: maxHeadBytes, maxHeaderCount: maxHeaderCount)
        handshake.deflate = noDeflate ? nil : DeflateConfiguration(ownMaxWindowBits: deflateWindowBits, ownNoContextTakeover: !deflateContextTakeover,
                                                                         requestPeerNoContextTakeover: deflateClientNoContextTakeover,
                                                                         memoryLevel: deflateMemoryLevel, compressionLevel: deflateLevel)
        if noLegacy { handshake.versions = GatewayConfiguration.modernVersions }
        if !allowOrigin.isEmpty {
            handshake.origin = .allowList(origins: allowOrigin.filter { $0 != "null" }, allowNull: allowOrigin.contains("null"), allowMissing: true)
        }
        var configuration = GatewayConfiguration(
            host: host, port: port, handshake: handshake,
            limits: ConnectionLimits(maxFrameSize: maxFrameSize, maxMessageSize: maxMessageSize),
            handshakeTimeoutSeconds: handshakeTimeout, pingIntervalSeconds: pingInterval, idleTimeoutSeconds: idleTimeout,
            hixieIdleTimeoutSeconds: hixieIdleTimeout, closeTimeoutSeconds: closeTimeout, maxQueuedBytesPerMember: maxQueuedBytes,
            maxConnections: maxConnections)
        configuration.maxConnectionsPerAddress = maxConnectionsPerAddress
        configuration.logPayloads = logPayloads
        configuration.maxBufferedBytesTotal = maxBufferedBytesTotal
        configuration.recordDirectory = record
        configuration.heapTrimIntervalSeconds = heapTrimInterval
        configuration.bridges = (try? BridgeRoute.table(routes: routes, options: routeOptions)) ?? [:]
        configuration.upstreamTimeoutSeconds = upstreamTimeout
        configuration.upstreamHealthIntervalSeconds = upstreamHealthInterval
        configuration.upstreamHixieIdleTimeoutSeconds = upstreamHixieIdleTimeout
        configuration.bridgeQueueBytes = bridgeQueueBytes
        configuration.upstreamCAFile = upstreamCaFile
        configuration.trustedProxies = Set(trustedProxies)
        if let tlsCert, let tlsKey {
            configuration.tls = TLSSettings(certificateChainPath: tlsCert, privateKeyPath: tlsKey,
                                            minimumVersion: TLSSettings.Version(rawValue: tlsMinVersion) ?? .tls12, keyLogPath: tlsKeylog)
        }
        if let cluster = clusterURL, let database = try? ClusterDatabaseURL(cluster) {
            var settings = ClusterSettings(database: database, instance: clusterInstance)
            settings.room = clusterRoom
            settings.outboxLimit = clusterOutbox
            settings.retentionSeconds = clusterRetentionAge
            settings.retentionCount = clusterRetentionCount
            settings.retentionIntervalSeconds = clusterRetentionInterval
            settings.notifyInlineLimit = clusterNotifyInlineLimit
            settings.gapGraceSeconds = clusterGapGrace
            configuration.cluster = settings
        }
        if let tlsKeylog {
            logger.warning("TLS session secrets are written to a key log: whoever reads it can decrypt this gateway's traffic",
                           metadata: ["file": "\(tlsKeylog)"])
        }
        if let descriptors = DescriptorLimit.ensure(connections: maxConnections) {
            if let old = descriptors.raisedFrom {
                logger.info("raised the file-descriptor limit", metadata: ["from": "\(old)", "to": "\(descriptors.soft)"])
            }
            if descriptors.isShort {
                // Past the descriptors, accept() fails with EMFILE: new connections wait in the
                // kernel's backlog until others close (the gateway warns once and keeps serving).
                logger.warning("file-descriptor limit below --max-connections", metadata: [
                    "descriptorLimit": "\(descriptors.soft)", "maxConnections": "\(maxConnections)",
                    "beyond": "new connections wait in the kernel's backlog until others close",
                    "hint": "ulimit -n \(descriptors.needed) (the hard limit is the ceiling)",
                ])
            }
            logger.info("connections: at most \(min(configuration.maxConnections, descriptors.connectionCapacity)) at once", metadata: [
                "maxConnections": "\(configuration.maxConnections)", "descriptorLimit": "\(descriptors.soft)",
                "reservedDescriptors": "\(DescriptorLimit.reserve)", "perAddress": "\(configuration.maxConnectionsPerAddress)",
            ])
        }
        let server: GatewayServer
        do {
            server = try GatewayServer.start(configuration: configuration, logger: logger, threads: threads)
        } catch {
            throw ValidationError("\(error)")
        }
        // SIGINT/SIGTERM: closing handshakes for everyone, then return from run() (exit 0). The
        // main thread waits for that, not for the listener (which closes first).
        let stopped = DispatchSemaphore(value: 0)
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // A second signal (SIGINT after SIGTERM, or SIGTERM twice) finds the first shutdown under way.
                guard server.shutdownGracefully() else { logger.notice("already shutting down"); return }
                logger.notice("stopped")
                stopped.signal()
            }
            source.resume()
            return source
        }
        let (http, ws) = configuration.tls == nil ? ("http", "ws") : ("https", "wss")
        logger.notice("listening", metadata: ["page": "\(http)://\(host):\(server.port)/", "room": "\(ws)://\(host):\(server.port)/serveur.php",
                                              "echo": "\(ws)://\(host):\(server.port)/echo"])
        for route in configuration.bridges.values.sorted(by: { $0.path < $1.path }) {
            logger.notice("route", metadata: ["path": "\(ws)://\(host):\(server.port)\(route.path)",
                                              "upstreams": "\(route.targets.map(\.description).joined(separator: " "))"])
        }
        stopped.wait()
        withExtendedLifetime(signals) {}
    }
}
