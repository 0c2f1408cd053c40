import PostgresNIO

/// The cluster's tables and statements. Created or migrated on start, under an advisory lock so
/// that instances starting together do not race (README "Scale-out").
///
///     passerelle_rooms          (room PRIMARY KEY, last_seq)   — the room's sequence counter
///     passerelle_room_messages  (id, room, seq, instance, local_id, sender, message, via,
///                                sent_at µs, created_at)       — UNIQUE (room, seq), UNIQUE (instance, local_id)
///     passerelle_schema         (version)
enum ClusterSchema {
    /// Bumped with each migration; an instance refuses a database migrated past what it knows.
    static let version = 1

    /// Migration n (1-based) brings the schema from version n-1 to n.
    static let migrations: [[PostgresQuery]] = [
        [
            """
            CREATE TABLE IF NOT EXISTS passerelle_rooms (
                room text PRIMARY KEY,
                last_seq bigint NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE IF NOT EXISTS passerelle_room_messages (
                id bigserial PRIMARY KEY,
                room text NOT NULL,
                seq bigint NOT NULL,
                instance text NOT NULL,
                local_id bigint NOT NULL,
                sender text NOT NULL,
                message text NOT NULL,
                via text NOT NULL,
                sent_at bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (room, seq),
                UNIQUE (instance, local_id))
            """,
            "CREATE INDEX IF NOT EXISTS passerelle_room_messages_created_at ON passerelle_room_messages (created_at)",
        ],
    ]

    static let lockKey: Int64 = 0x7061_7373_6572_656C  // "passerel"

    /// Creates or migrates the schema and the room's row; returns the version found before.
    static func migrate(_ connection: PostgresConnection, room: String, logger: Logger) async throws -> Int {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS passerelle_schema (version integer NOT NULL)", logger: logger)
            var found = 0
            for try await (version) in try await connection.query("SELECT version FROM passerelle_schema", logger: logger).decode(Int.self) {
                found = version
            }
            guard found <= version else { throw ClusterError.schemaTooNew(found: found, known: version) }
            if found < version {
                for migration in migrations[found...] {
                    for statement in migration { try await connection.query(statement, logger: logger) }
                }
                try await connection.query("DELETE FROM passerelle_schema", logger: logger)
                try await connection.query("INSERT INTO passerelle_schema (version) VALUES (\(version))", logger: logger)
            }
            try await connection.query("INSERT INTO passerelle_rooms (room) VALUES (\(room)) ON CONFLICT DO NOTHING", logger: logger)
            return found
        }
    }

    /// One batch of a room's lines, in one statement and so one transaction: the room's counter
    /// moves by the batch size (its row lock orders concurrent batches: numbers are committed in
    /// sequence order), the rows are inserted, and each is announced with `pg_notify` — the whole
    /// record when its JSON fits `inlineLimit`, else a reference. Returns (seq, local_id) per row.
    static func publish(room: String, instance: String, channel: String, inlineLimit: Int,
                        localIDs: [Int64], senders: [String], messages: [String], vias: [String], sentAt: [Int64]) -> PostgresQuery {
        """
        WITH batch AS (
            SELECT b.local_id, b.sender, b.message, b.via, b.sent_at, b.n
            FROM unnest(\(localIDs)::bigint[], \(senders)::text[], \(messages)::text[], \(vias)::text[], \(sentAt)::bigint[])
                 WITH ORDINALITY AS b(local_id, sender, message, via, sent_at, n)
        ), bump AS (
            UPDATE passerelle_rooms SET last_seq = last_seq + (SELECT count(*) FROM batch)
            WHERE room = \(room) RETURNING last_seq
        ), inserted AS (
            INSERT INTO passerelle_room_messages (room, seq, instance, local_id, sender, message, via, sent_at)
            SELECT \(room), bump.last_seq - (SELECT count(*) FROM batch) + batch.n, \(instance), batch.local_id,
                   batch.sender, batch.message, batch.via, batch.sent_at
            FROM batch CROSS JOIN bump
            RETURNING seq, local_id, sender, message, via, sent_at
        ), payloads AS (
            SELECT seq, local_id,
                   json_build_object('r', \(room)::text, 's', seq, 'i', \(instance)::text, 'f', sender, 'm', message,
                                     'v', via, 't', sent_at)::text AS whole,
                   json_build_object('r', \(room)::text, 's', seq, 'i', \(instance)::text)::text AS reference
            FROM inserted
        )
        SELECT seq, local_id, pg_notify(\(channel), CASE WHEN octet_length(whole) <= \(inlineLimit) THEN whole ELSE reference END)::text
        FROM payloads ORDER BY seq
        """
    }

    /// Which of these lines of this instance are already in the table (after a publish whose
    /// outcome is unknown: the connection died before the answer).
    static func committed(instance: String, localIDs: [Int64]) -> PostgresQuery {
        "SELECT local_id FROM passerelle_room_messages WHERE instance = \(instance) AND local_id = ANY(\(localIDs)::bigint[])"
    }

    /// The room's rows from `from` on (at most `limit`), and its last sequence, in one snapshot.
    /// Always one row at least (the room's), message columns NULL when there is nothing.
    static func catchUp(room: String, from: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT r.last_seq, m.seq, m.instance, m.sender, m.message, m.via, m.sent_at
        FROM passerelle_rooms r
        LEFT JOIN LATERAL (
            SELECT seq, instance, sender, message, via, sent_at FROM passerelle_room_messages
            WHERE room = r.room AND seq >= \(from) ORDER BY seq LIMIT \(limit)) m ON true
        WHERE r.room = \(room)
        ORDER BY m.seq
        """
    }

    /// Stored lines after `after`, for a member's history request.
    static func history(room: String, after: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT seq, instance, sender, message, via, sent_at FROM passerelle_room_messages
        WHERE room = \(room) AND seq > \(after) ORDER BY seq LIMIT \(limit)
        """
    }

    /// Retention: by age (seconds, 0 = none) and by count per room (0 = none).
    static func retention(room: String, keepSeconds: Double, keepCount: Int) -> PostgresQuery {
        """
        DELETE FROM passerelle_room_messages m USING passerelle_rooms r
        WHERE m.room = r.room AND r.room = \(room)
          AND ((\(keepCount) > 0 AND m.seq <= r.last_seq - \(keepCount))
               OR (\(keepSeconds) > 0 AND m.created_at < now() - make_interval(secs => \(keepSeconds))))
        """
    }
}
