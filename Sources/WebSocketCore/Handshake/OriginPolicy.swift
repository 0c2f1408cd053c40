/// Which `Origin` values may open a connection (RFC 6455 §10.2: the server decides; browsers
/// send the page's origin, a page opened from a file sends `null`).
public enum OriginPolicy: Hashable, Sendable {
    /// Every origin, `null` and none. The default: the tutorial's page runs from `file://` and
    /// sends `Origin: null`, and non-browser clients (TVs, set-top boxes) often send no Origin.
    case any
    /// Only the listed origins (compared case-insensitively, e.g. `http://example.com:8080`),
    /// plus `null` and a missing header when allowed.
    case allowList(origins: [String], allowNull: Bool, allowMissing: Bool)

    public func allows(_ origin: String?) -> Bool {
        switch self {
        case .any:
            return true
        case .allowList(let origins, let allowNull, let allowMissing):
            guard let origin else { return allowMissing }
            if origin == "null" { return allowNull }
            return origins.contains { $0.caseInsensitiveEquals(origin) }
        }
    }
}
