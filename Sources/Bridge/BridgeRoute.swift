/// A path of the gateway relayed to one or more backends (`--route PATH=URL`, repeatable: the
/// same path twice is two upstreams, taken in turn), with its options (`--route-options`).
public struct BridgeRoute: Hashable, Sendable {
    public var path: String
    /// Tried in turn for each new pair; a connect failure moves to the next (never after a 101).
    public var targets: [RouteTarget]
    public var options: RouteOptions

    public init(path: String, targets: [RouteTarget], options: RouteOptions = RouteOptions()) {
        self.path = path
        self.targets = targets
        self.options = options
    }

    public enum SpecError: Error, Hashable, CustomStringConvertible {
        case notPathEqualsValue(String)
        case pathMustStartWithSlash(String)
        case target(RouteTarget.ParseError)
        case options(path: String, RouteOptions.ParseError)
        case optionsForNoRoute(String)

        public var description: String {
            switch self {
            case .notPathEqualsValue(let spec): return "'\(spec)': expected PATH=VALUE, e.g. /chat=ws://127.0.0.1:8080/chat"
            case .pathMustStartWithSlash(let path): return "'\(path)': a route's path starts with /"
            case .target(let error): return error.description
            case .options(let path, let error): return "\(path): \(error)"
            case .optionsForNoRoute(let path): return "--route-options \(path): no --route for this path"
            }
        }
    }

    /// `PATH=VALUE` (the value may itself contain `=`).
    public static func split(_ spec: String) throws(SpecError) -> (path: String, value: String) {
        guard let equals = spec.firstIndex(of: "="), equals != spec.startIndex else { throw .notPathEqualsValue(spec) }
        let path = String(spec[..<equals]), value = String(spec[spec.index(after: equals)...])
        guard path.hasPrefix("/") else { throw .pathMustStartWithSlash(path) }
        guard !value.isEmpty else { throw .notPathEqualsValue(spec) }
        return (path, value)
    }

    /// The routes that `--route PATH=URL` and `--route-options PATH=OPT[,OPT…]` flags describe,
    /// by path, in the order given.
    public static func table(routes: [String], options: [String]) throws(SpecError) -> [String: BridgeRoute] {
        var table: [String: BridgeRoute] = [:]
        for spec in routes {
            let (path, url) = try split(spec)
            let target: RouteTarget
            do { target = try RouteTarget(url: url) } catch { throw .target(error) }
            table[path, default: BridgeRoute(path: path, targets: [])].targets.append(target)
        }
        for spec in options {
            let (path, text) = try split(spec)
            guard table[path] != nil else { throw .optionsForNoRoute(path) }
            do { table[path]?.options = try RouteOptions(parsing: text) } catch { throw .options(path: path, error) }
        }
        return table
    }
}
