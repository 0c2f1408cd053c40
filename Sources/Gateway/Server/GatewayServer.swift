import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The listening gateway: one port for every protocol version.
public final class GatewayServer: Sendable {
    public let configuration: GatewayConfiguration
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    /// The port actually bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? configuration.port }

    /// Binds and starts serving.
    public static func start(configuration: GatewayConfiguration, logger: Logger = Logger(label: "passerelle"),
                             threads: Int = System.coreCount, observer: ConnectionObserver? = nil) throws -> GatewayServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let counter = ConnectionCounter()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = counter.next()
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketChannelHandler(id: id, configuration: configuration, logger: logger, observer: observer))
                }
            }
        do {
            let channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
            return GatewayServer(configuration: configuration, group: group, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private init(configuration: GatewayConfiguration, group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.configuration = configuration
        self.group = group
        self.channel = channel
    }

    /// Blocks until the listening channel closes.
    public func waitUntilClosed() throws {
        try channel.closeFuture.wait()
    }

    public func shutdown() throws {
        try? channel.close().wait()
        try group.syncShutdownGracefully()
    }
}

/// Numbers connections for the logs.
private final class ConnectionCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }
}
