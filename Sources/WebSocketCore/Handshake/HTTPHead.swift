/// The start line and header fields of an HTTP/1.x request.
public struct HTTPRequestHead: Hashable, Sendable {
    public var method: String
    public var target: String
    public var version: String
    public var headers: HTTPHeaders

    public init(method: String, target: String, version: String, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The path part of the request target, without the query.
    public var path: String {
        String(target.prefix { $0 != "?" })
    }
}

/// The status line and header fields of an HTTP/1.x response.
public struct HTTPResponseHead: Hashable, Sendable {
    public var version: String
    public var status: Int
    public var reasonPhrase: String
    public var headers: HTTPHeaders

    public init(version: String, status: Int, reasonPhrase: String, headers: HTTPHeaders) {
        self.version = version
        self.status = status
        self.reasonPhrase = reasonPhrase
        self.headers = headers
    }
}
