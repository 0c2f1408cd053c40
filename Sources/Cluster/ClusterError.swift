/// Why the cluster link could not do something; each names what an operator should look at.
public enum ClusterError: Error, CustomStringConvertible, Sendable {
    case schemaTooNew(found: Int, known: Int)
    case roomMissing(String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let known):
            return "the cluster database has schema version \(found); this passerelle knows up to \(known): upgrade it"
        case .roomMissing(let room):
            return "room \(room) has no row in passerelle_rooms"
        }
    }
}
