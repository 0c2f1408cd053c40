import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server for one test: `initdb` in a temporary directory, `postgres` on a
/// free loopback port with trust authentication, and a `passerelle` database. Debian's server
/// (apt: postgresql, installed by scripts/install-peers); run as the `postgres` user when the
/// tests run as root (PostgreSQL refuses root). Missing binaries are a failure, not a skip.
final class TestPostgres {
    let port: Int
    let directory: URL
    private let bin: String
    private var data: String { directory.appendingPathComponent("data").path }

    var url: String { "postgres://postgres@127.0.0.1:\(port)/passerelle" }

    init() throws {
        bin = try Self.serverBinaries()
        port = try PeerProcess.freePort()
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("passerelle-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 { _ = try PeerProcess.run("chown", ["postgres", directory.path]) }
        let initdb = try run("\(bin)/initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
        guard initdb.status == 0 else { throw PeerError("initdb failed: \(initdb)") }
        try start()
        let created = try sql("CREATE DATABASE passerelle", database: "postgres")
        guard created.status == 0 else { throw PeerError("CREATE DATABASE failed: \(created)") }
    }

    /// The server in the foreground, as a child of the test. Not `pg_ctl start`: its daemon would
    /// inherit the descriptor through which Foundation's `Process` learns that its child exited,
    /// and pg_ctl would never be seen to end.
    private var server: PeerProcess.Running?

    /// Starts (or restarts) the server and waits until it accepts connections.
    func start() throws {
        let arguments = ["\(bin)/postgres", "-D", data, "-p", "\(port)", "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
                         "-c", "fsync=off", "-c", "max_connections=200"]
        server = getuid() == 0 ? try PeerProcess.start("runuser", ["-u", "postgres", "--"] + arguments, unblockSignals: true)
                               : try PeerProcess.start(arguments[0], Array(arguments.dropFirst()), unblockSignals: true)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let ready = try? PeerProcess.run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-Atc", "SELECT 1"],
                                                timeout: 5), ready.status == 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw PeerError("PostgreSQL did not start: \(server?.finish(timeout: 1).description ?? "")")
    }

    /// Stops the server: `fast` ends every session (the instances see their connections close).
    func stop(mode: String = "fast") throws {
        let stopped = try run("\(bin)/pg_ctl", ["-D", data, "-w", "-m", mode, "stop"])
        guard stopped.status == 0 else { throw PeerError("pg_ctl stop failed: \(stopped)") }
        _ = server?.finish(timeout: 30)
        server = nil
    }

    /// Runs one statement with psql; unaligned, tuples only.
    @discardableResult
    func sql(_ statement: String, database: String = "passerelle") throws -> PeerProcess.Result {
        try PeerProcess.run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-At", "-c", statement], timeout: 30)
    }

    deinit {
        _ = try? run("\(bin)/pg_ctl", ["-D", data, "-w", "-m", "immediate", "stop"])
        _ = server?.finish(timeout: 10)
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> PeerProcess.Result {
        getuid() == 0 ? try PeerProcess.run("runuser", ["-u", "postgres", "--", executable] + arguments, timeout: 60)
                      : try PeerProcess.run(executable, arguments, timeout: 60)
    }

    /// Debian keeps the server programs in /usr/lib/postgresql/VERSION/bin, off the PATH.
    private static func serverBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        throw PeerError("PostgreSQL server not found under \(root) (scripts/install-peers installs Debian's postgresql)")
    }
}
