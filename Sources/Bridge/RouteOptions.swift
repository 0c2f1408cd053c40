/// Per-route settings, as `--route-options PATH=OPT[,OPT…]` writes them (and a config file).
///
/// | option | effect |
/// |---|---|
/// | `binary=close` (default), `binary=drop`, `binary=utf8` | a binary message towards a hixie leg, which cannot carry one: close both legs (1003 to the sender), drop it (counted and logged), or forward it as text when it is valid UTF-8 (closed as `close` otherwise) |
/// | `origin=URL` | the Origin sent upstream instead of the client's |
/// | `one-write-handshake` | the upstream hixie leg writes its request head and key3 in one write |
/// | `key3-without-newline` | the upstream hixie-76 leg picks a key3 with no `0x0A` byte |
/// | `frame-per-write` | the upstream hixie leg writes one frame per write and lets the server read it before the next |
/// | `close-by-fin` | the upstream hixie leg closes with a FIN instead of `0xFF 0x00` |
/// | `phpwebsocket` | all four legacy switches: what phpwebsocket-style servers need |
public struct RouteOptions: Hashable, Sendable {
    public enum BinaryToHixie: String, Hashable, Sendable, CaseIterable {
        case close, drop, utf8
    }

    public var binaryToHixie: BinaryToHixie = .close
    public var origin: String?
    public var oneWriteHandshake = false
    public var key3WithoutNewline = false
    public var framePerWrite = false
    public var closeByFIN = false

    public init() {}

    public enum ParseError: Error, Hashable, CustomStringConvertible {
        case unknownOption(String)
        case badValue(option: String, value: String)

        public var description: String {
            switch self {
            case .unknownOption(let option):
                return "unknown route option '\(option)' (binary=close|drop|utf8, origin=URL, one-write-handshake, key3-without-newline, frame-per-write, close-by-fin, phpwebsocket)"
            case .badValue(let option, let value): return "route option \(option)=\(value): not a value it takes"
            }
        }
    }

    /// `binary=drop,phpwebsocket,origin=http://tv.example` (options in any order; later ones win).
    public init(parsing text: String) throws(ParseError) {
        self.init()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0].lowercased(), value = parts.count > 1 ? parts[1] : nil
            switch (name, value) {
            case ("binary", let value?):
                guard let policy = BinaryToHixie(rawValue: value.lowercased()) else { throw .badValue(option: name, value: value) }
                binaryToHixie = policy
            case ("origin", let value?) where !value.isEmpty:
                origin = value
            case ("one-write-handshake", nil): oneWriteHandshake = true
            case ("key3-without-newline", nil): key3WithoutNewline = true
            case ("frame-per-write", nil): framePerWrite = true
            case ("close-by-fin", nil): closeByFIN = true
            case ("phpwebsocket", nil):
                (oneWriteHandshake, key3WithoutNewline, framePerWrite, closeByFIN) = (true, true, true, true)
            case (_, let value?) where ["binary", "origin"].contains(name):
                throw .badValue(option: name, value: value)
            default:
                throw .unknownOption(item)
            }
        }
    }
}
