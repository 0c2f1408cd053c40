import Foundation
import NIOSSL
import PostgresNIO

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`, read once
/// at start; a malformed URL stops the start with a message naming what is wrong.
public struct ClusterDatabaseURL: Sendable, CustomStringConvertible {
    public enum SSLMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid(description: "cluster URL must look like postgres://USER@HOST:PORT/DATABASE, got \(text)")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "cluster URL has no host: \(text)") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(description: "cluster URL has no user: \(text)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw Invalid(description: "cluster URL has no database name: \(text)") }
        var sslMode = SSLMode.disable
        if let value = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let mode = SSLMode(rawValue: value) else { throw Invalid(description: "sslmode must be disable, prefer or require, got \(value)") }
            sslMode = mode
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password?.removingPercentEncoding
        self.database = database
        self.sslMode = sslMode
    }

    /// Without the password (for logs).
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    func connectionConfiguration(applicationName: String, connectTimeoutSeconds: Double) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                             database: database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeoutSeconds * 1000))
        // Shows in pg_stat_activity: an operator (or a test) can tell the LISTEN connection apart.
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }
}
