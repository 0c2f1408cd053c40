import Foundation
import Cluster
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import WebSocketCore

/// The listening gateway: one port for every protocol version, the chat page and the room.
public final class GatewayServer: Sendable {
    public let configuration: GatewayConfiguration
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let services: GatewayServices
    private let logger: Logger
    private let heapTrimming: RepeatedTask?
    private let healthChecks: RepeatedTask?
    /// Set by the first shutdown: a second one (a second SIGTERM, SIGINT after SIGTERM) would cancel
    /// tasks and close the listener on event loops already shut down — which SwiftNIO reports, and
    /// will one day trap on.
    private let stopping = Atomic<Bool>(false)

    /// The port actually bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? configuration.port }

    /// Binds and starts serving.
    public static func start(configuration requested: GatewayConfiguration, logger: Logger = Logger(label: "passerelle"),
                             threads: Int = System.coreCount, observer: ConnectionObserver? = nil) throws -> GatewayServer {
        let tlsContext = try requested.tls.map { settings throws(GatewayStartError) in try settings.makeContext() }
        let upstreamTLS = try GatewayServices.makeUpstreamTLS(requested)
        var adjusted = requested
        // hixie-76's answer names the URL, scheme included (draft-hixie-76 §5.2: wss:// when secure).
        if tlsContext != nil { adjusted.handshake.secure = true }
        let configuration = adjusted
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let room = RoomHub(loop: group.next(), logger: logger)
        if let settings = configuration.cluster {
            let link = PostgresRoomLink(settings: settings, group: group, logger: logger) { records in room.clusterDelivered(records) }
            room.attach(link)
            link.start()
        }
        let services = GatewayServices(configuration: configuration, registry: ConnectionRegistry(limit: configuration.maxConnections, limitPerAddress: configuration.maxConnectionsPerAddress),
                                       budget: BufferBudget(limit: configuration.maxBufferedBytesTotal),
                                       room: room, observer: observer, logger: logger, upstreamTLS: upstreamTLS)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoff(logger: logger))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // An idle member keeps its receive buffer: start small (a chat line, a handshake fits
            // in a few hundred bytes) and let NIO grow it for members that send more.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 64 * 1024))
            .childChannelInitializer { channel in
                let id = services.registry.makeID()
                return channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketChannelHandler(id: id, services: services))
                }
            }
        do {
            let channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
            return GatewayServer(configuration: configuration, group: group, channel: channel, services: services, logger: logger,
                                 heapTrimming: scheduleHeapTrimming(configuration, group: group, services: services, logger: logger),
                                 healthChecks: services.upstreamHealth.start(interval: configuration.upstreamHealthIntervalSeconds,
                                                                             timeout: configuration.upstreamTimeoutSeconds,
                                                                             group: group, logger: logger))
        } catch {
            room.cluster?.stop()
            try? group.syncShutdownGracefully()
            throw GatewayStartError.bind(host: configuration.host, port: configuration.port, underlying: "\(error)")
        }
    }

    /// Every period, returns freed heap to the system when many connections have gone, or many
    /// quiet ones freed their zlib streams (off the event loops: a trim walks every arena under
    /// its lock).
    private static func scheduleHeapTrimming(_ configuration: GatewayConfiguration, group: MultiThreadedEventLoopGroup,
                                             services: GatewayServices, logger: Logger) -> RepeatedTask? {
        guard configuration.heapTrimIntervalSeconds > 0 else { return nil }
        let period = TimeAmount.milliseconds(Int64(configuration.heapTrimIntervalSeconds * 1000))
        // Follow-up trims cover the longest any timer outlives its connection (see HeapTrimmer).
        let keepaliveTick = [configuration.pingIntervalSeconds, configuration.idleTimeoutSeconds, configuration.hixieIdleTimeoutSeconds]
            .filter { $0 > 0 }.min().map { $0 / 2 } ?? 0
        let horizon = max(configuration.handshakeTimeoutSeconds, configuration.closeTimeoutSeconds, keepaliveTick, 2)
        let trimmer = Mutex(HeapTrimmer(followUpPeriods: Int((horizon / configuration.heapTrimIntervalSeconds).rounded(.up)) + 1))
        return group.next().scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            let (peak, now) = services.registry.takePeak()
            let released = services.releasedZlibStreams.exchange(0, ordering: .relaxed)
            guard trimmer.withLock({ $0.shouldTrim(peak: peak, now: now, releasedStreams: released) }) else { return }
            DispatchQueue.global(qos: .utility).async {
                if HeapTrimmer.trim() { logger.debug("heap trimmed", metadata: ["peak": "\(peak)", "connections": "\(now)"]) }
            }
        }
    }

    private init(configuration: GatewayConfiguration, group: MultiThreadedEventLoopGroup, channel: Channel,
                 services: GatewayServices, logger: Logger, heapTrimming: RepeatedTask?, healthChecks: RepeatedTask?) {
        self.heapTrimming = heapTrimming
        self.healthChecks = healthChecks
        self.configuration = configuration
        self.group = group
        self.channel = channel
        self.services = services
        self.logger = logger
    }

    /// The cluster link's figures (nil without `--cluster`).
    public var clusterMetrics: ClusterMetrics? { services.room.cluster?.metrics }

    /// Members of the room right now.
    public func roomMemberCount() throws -> Int { try services.room.memberCount().wait() }

    /// Stops accepting, closes every connection with its closing handshake (1001 for RFC 6455,
    /// 0xFF 0x00 for hixie-76, TCP close for hixie-75), waits up to the grace period, then stops.
    /// Answers false, doing nothing, when a shutdown was already started.
    @discardableResult
    public func shutdownGracefully() -> Bool {
        guard beginStopping() else { return false }
        logger.notice("shutting down", metadata: ["connections": "\(services.registry.count)"])
        heapTrimming?.cancel()
        healthChecks?.cancel()
        try? channel.close().wait()
        services.registry.closeAll(code: .goingAway, reason: "server shutting down")
        let deadline = Date().addingTimeInterval(configuration.shutdownGraceSeconds)
        while services.registry.count > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let left = services.registry.count
        if left > 0 {
            logger.notice("grace period over: closing the connections left without their closing handshake",
                          metadata: ["connections": "\(left)", "grace": "\(configuration.shutdownGraceSeconds) s"])
            services.registry.dropAll()
            let dropped = Date().addingTimeInterval(1)
            while services.registry.count > 0 && Date() < dropped { Thread.sleep(forTimeInterval: 0.01) }
        }
        services.room.cluster?.stop()
        try? group.syncShutdownGracefully()
        return true
    }

    /// Stops at once: connections are dropped without a closing handshake. Does nothing when a
    /// shutdown was already started.
    public func shutdown() throws {
        guard beginStopping() else { return }
        heapTrimming?.cancel()
        healthChecks?.cancel()
        services.room.cluster?.stop()
        try? channel.close().wait()
        try group.syncShutdownGracefully()
    }

    /// True for the first caller only.
    private func beginStopping() -> Bool {
        stopping.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
