import Foundation
import WebSocketCore

extension CaseRunner {
    /// The server under test, from a `ws://HOST:PORT/PATH` URL.
    public struct Target: Sendable {
        public var host: String
        public var port: Int
        public var path: String

        /// `ws://HOST:PORT/PATH`.
        public init(url: String) throws {
            guard url.hasPrefix("ws://") else { throw ConformanceError.badTarget("\(url): only ws:// URLs are supported") }
            let rest = url.dropFirst(5)
            let authority = rest.prefix { $0 != "/" }
            path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
            if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<end])
                port = Int(authority[authority.index(after: end)...].dropFirst()) ?? 80
            } else {
                let parts = authority.split(separator: ":", maxSplits: 1)
                host = String(parts.first ?? "localhost")
                port = parts.count > 1 ? Int(parts[1]) ?? 80 : 80
            }
            guard (1...65535).contains(port) else { throw ConformanceError.badTarget("\(url): bad port") }
        }

        var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }
}
