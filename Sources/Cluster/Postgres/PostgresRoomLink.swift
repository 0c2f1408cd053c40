import Dispatch
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Room
import Synchronization

/// One instance's link to the cluster: its members' lines go into PostgreSQL (INSERT … RETURNING
/// + NOTIFY, in batches), every instance's lines come back in the room's sequence order through a
/// dedicated LISTEN connection, and gaps are read from the table. Three tasks:
///
/// - **publisher**: takes batches from the bounded `ClusterOutbox`, writes them, reconnects with
///   back-off; a batch whose outcome is unknown is looked up before it is written again.
/// - **listener**: one connection, LISTEN (postgres-nio does not re-subscribe by itself): on loss,
///   reconnect with back-off, LISTEN again, then catch up from the last delivered sequence.
/// - **retention**: deletes rows past the configured age / count.
///
/// Database down: members already in stay; their lines wait in the outbox (bounded: a member who
/// speaks into a full outbox is closed with 1013) and reach everyone, in one order, when the
/// database is back; new members get 503 while the instance is not `isAvailable`.
public final class PostgresRoomLink: Sendable {
    public let settings: ClusterSettings
    public let metrics = ClusterMetrics()
    private let outbox: ClusterOutbox
    private let orderer: ClusterOrderer
    private let group: any EventLoopGroup
    private let logger: Logger
    private let health = Mutex(Health())
    private let tasks = Mutex<[Task<Void, Never>]>([])
    /// History reads in flight (each on its own short connection); bounded.
    private let historyReads = Mutex(0)
    /// Every connection open now, so that `stop` can close them.
    private let openConnections = Mutex<[ObjectIdentifier: PostgresConnection]>([:])
    public static let maxHistoryReads = 4

    private struct Health {
        var listenerReady = false
        var listenerEverReady = false
        var publisherFailing = false
        var available: Bool { listenerReady && !publisherFailing }
    }

    /// `deliver` receives the room's records in sequence order (called from one task at a time).
    public init(settings: ClusterSettings, group: any EventLoopGroup, logger: Logger,
                deliver: @escaping @Sendable ([ClusterRecord]) -> Void) {
        self.settings = settings
        self.group = group
        self.logger = logger
        outbox = ClusterOutbox(limit: settings.outboxLimit)
        orderer = ClusterOrderer(settings: settings, metrics: metrics, logger: logger, deliver: deliver)
    }

    /// True while the instance follows the cluster (LISTEN up and caught up, writes succeeding).
    public var isAvailable: Bool { health.withLock { $0.available } }

    public func start() {
        logger.notice("cluster: joining", metadata: ["database": "\(settings.database)", "instance": "\(settings.instance)",
                                                     "room": "\(settings.room)"])
        let started = [
            Task { await self.runListener() },
            Task { await self.runPublisher() },
            Task { await self.runRetention() },
        ]
        tasks.withLock { $0 = started }
    }

    /// Stops the tasks and closes every connection, waiting up to `seconds` (blocking: call it
    /// off the event loops, before their group shuts down — the connections live on them).
    public func stop(waitingUpTo seconds: Double = 3) {
        outbox.stop()
        let running = tasks.withLock { tasks -> [Task<Void, Never>] in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        // A task waiting on a notification or a query ends when its connection does.
        for connection in openConnections.withLock({ Array($0.values) }) { connection.close().whenComplete { _ in } }
        let done = DispatchSemaphore(value: 0)
        Task {
            for task in running { await task.value }
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            logger.warning("cluster: tasks still running at shutdown")
        }
    }

    /// Queues a member's line for the cluster; false when the outbox is full (or stopped).
    public func publish(_ line: ChatLine, via: String) -> Bool {
        let sentAt = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let accepted = outbox.append(line: line, via: via, sentAtMicros: sentAt)
        let depth = outbox.count
        metrics.update {
            $0.outboxDepth = depth
            if !accepted { $0.outboxRefusals += 1 }
        }
        return accepted
    }

    /// Stored lines numbered after `after` (at most `limit`), for a member that asked. nil when
    /// `maxHistoryReads` are already running (the member is told to ask again).
    public func history(after: Int64, limit: Int) async throws -> [ClusterRecord]? {
        guard historyReads.withLock({ count -> Bool in
            guard count < Self.maxHistoryReads else { return false }
            count += 1
            return true
        }) else { return nil }
        defer { historyReads.withLock { $0 -= 1 } }
        return try await withConnection(role: "history") { connection in
            var records: [ClusterRecord] = []
            for try await (sequence, instance, sender, message, via, sentAt) in try await connection.query(
                ClusterSchema.history(room: self.settings.room, after: after, limit: limit), logger: self.logger)
                .decode((Int64, String, String, String, String, Int64).self) {
                records.append(ClusterRecord(room: self.settings.room, sequence: sequence, instance: instance,
                                             line: ChatLine(from: sender, message: message), via: via, sentAtMicros: sentAt))
            }
            return records
        }
    }

    // MARK: Tasks

    private func runListener() async {
        var attempt = 0
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let listening = try await connect(role: "listen")
                connection = listening
                _ = try await ClusterSchema.migrate(listening, room: settings.room, logger: logger)
                try await listening.listen(on: settings.channel) { notifications in
                    try await self.orderer.listenerUp(listening)
                    self.setHealth { $0.listenerReady = true; $0.listenerEverReady = true }
                    attempt = 0
                    self.logger.info("cluster: listening", metadata: ["channel": "\(self.settings.channel)"])
                    for try await notification in notifications {
                        await self.orderer.notification(notification.payload)
                    }
                }
            } catch where !Task.isCancelled {
                metrics.update { $0.databaseErrors += 1 }
                logger.warning("cluster: LISTEN connection lost", metadata: ["error": "\(Self.describe(error))"])
            } catch {}
            setHealth { $0.listenerReady = false }
            await orderer.listenerDown()
            try? await connection?.close()
            if Task.isCancelled { break }
            metrics.update { $0.listenerReconnects += 1 }
            await backoff(attempt)
            attempt += 1
        }
    }

    private func runPublisher() async {
        var connection: PostgresConnection?
        // The head batch may be committed although no answer came (connection lost in between).
        var uncertain = false
        var attempt = 0
        while !Task.isCancelled {
            // Lines are numbered by the cluster only once this instance follows it (see RoomSequencer.start).
            guard health.withLock({ $0.listenerEverReady }) else {
                try? await Task.sleep(nanoseconds: 50_000_000)
                continue
            }
            let batch = outbox.peek(settings.batchLimit)
            if batch.isEmpty {
                await outbox.waitForLines()
                continue
            }
            do {
                if connection == nil || connection!.isClosed {
                    let fresh = try await connect(role: "publish")
                    connection = fresh
                    _ = try await ClusterSchema.migrate(fresh, room: settings.room, logger: logger)
                }
                guard let connection else { continue }
                if uncertain {
                    uncertain = false
                    if try await isCommitted(batch, on: connection) {
                        outbox.removeFirst(batch.count)
                        continue  // its rows come back through NOTIFY or catch-up
                    }
                }
                uncertain = true
                let records = try await insert(batch, on: connection)
                uncertain = false
                outbox.removeFirst(batch.count)
                let depth = outbox.count
                metrics.update { $0.published += records.count; $0.publishBatches += 1; $0.outboxDepth = depth }
                setHealth { $0.publisherFailing = false }
                attempt = 0
                await orderer.published(records)
            } catch {
                if Task.isCancelled { break }
                metrics.update { $0.databaseErrors += 1 }
                logger.warning("cluster: write failed, retrying", metadata: ["error": "\(Self.describe(error))", "waiting": "\(outbox.count)"])
                setHealth { $0.publisherFailing = true }
                try? await connection?.close()
                connection = nil
                await backoff(attempt)
                attempt += 1
            }
        }
        try? await connection?.close()
    }

    private func runRetention() async {
        guard settings.retentionIntervalSeconds > 0, settings.retentionSeconds > 0 || settings.retentionCount > 0 else { return }
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(settings.retentionIntervalSeconds * 1e9))
            if Task.isCancelled { break }
            do {
                try await withConnection(role: "retention") { connection in
                    try await connection.query(ClusterSchema.retention(room: self.settings.room, keepSeconds: self.settings.retentionSeconds,
                                                                       keepCount: self.settings.retentionCount), logger: self.logger)
                }
            } catch {
                metrics.update { $0.databaseErrors += 1 }
                logger.info("cluster: retention skipped", metadata: ["error": "\(Self.describe(error))"])
            }
        }
    }

    // MARK: Statements

    private func insert(_ batch: [OutgoingLine], on connection: PostgresConnection) async throws -> [ClusterRecord] {
        let query = ClusterSchema.publish(room: settings.room, instance: settings.instance, channel: settings.channel,
                                          inlineLimit: settings.notifyInlineLimit,
                                          localIDs: batch.map(\.localID), senders: batch.map(\.line.from),
                                          messages: batch.map(\.line.message), vias: batch.map(\.via), sentAt: batch.map(\.sentAtMicros))
        let byLocalID = Dictionary(uniqueKeysWithValues: batch.map { ($0.localID, $0) })
        var records: [ClusterRecord] = []
        for try await (sequence, localID, _) in try await connection.query(query, logger: logger).decode((Int64, Int64, String).self) {
            guard let line = byLocalID[localID] else { continue }
            records.append(ClusterRecord(room: settings.room, sequence: sequence, instance: settings.instance,
                                         line: line.line, via: line.via, sentAtMicros: line.sentAtMicros))
        }
        guard records.count == batch.count else { throw ClusterError.roomMissing(settings.room) }
        return records
    }

    /// One statement is one transaction: the whole batch is in the table, or none of it.
    private func isCommitted(_ batch: [OutgoingLine], on connection: PostgresConnection) async throws -> Bool {
        var found = false
        for try await _ in try await connection.query(ClusterSchema.committed(instance: settings.instance, localIDs: batch.map(\.localID)),
                                                      logger: logger).decode(Int64.self) {
            found = true
        }
        return found
    }

    // MARK: Support

    private func connect(role: String) async throws -> PostgresConnection {
        let configuration = try settings.database.connectionConfiguration(applicationName: "passerelle-\(role) \(settings.instance)",
                                                                          connectTimeoutSeconds: settings.connectTimeoutSeconds)
        let connection = try await PostgresConnection.connect(on: group.any(), configuration: configuration, id: Self.nextConnectionID(), logger: logger)
        let key = ObjectIdentifier(connection)
        openConnections.withLock { $0[key] = connection }
        connection.closeFuture.whenComplete { _ in _ = self.openConnections.withLock { $0.removeValue(forKey: key) } }
        return connection
    }

    /// A short-lived connection, closed (and awaited: postgres-nio traps on a connection released
    /// unclosed) whatever `body` does.
    private func withConnection<T: Sendable>(role: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(role: role)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static let connectionIDs = Atomic<Int>(0)
    private static func nextConnectionID() -> Int { connectionIDs.add(1, ordering: .relaxed).newValue }

    private func setHealth(_ change: (inout Health) -> Void) {
        let available = health.withLock { health -> Bool in
            change(&health)
            return health.available
        }
        metrics.update { $0.available = available }
    }

    /// Doubling back-off with ±25 % jitter (instances that lost the database together do not
    /// come back in lockstep).
    private func backoff(_ attempt: Int) async {
        let base = min(settings.backoffMaxSeconds, settings.backoffFirstSeconds * pow(2, Double(min(attempt, 20))))
        let delay = base * Double.random(in: 0.75...1.25)
        try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            return "\(error.code)" + (error.serverInfo?[.message].map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }
}
