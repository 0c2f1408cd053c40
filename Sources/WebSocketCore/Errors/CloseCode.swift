/// A close status code (RFC 6455 §7.4).
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let normalClosure = CloseCode(1000)
    public static let goingAway = CloseCode(1001)
    public static let protocolError = CloseCode(1002)
    public static let unsupportedData = CloseCode(1003)
    /// Never on the wire: stands for "the close frame had no status code" (§7.1.5).
    public static let noStatusReceived = CloseCode(1005)
    /// Never on the wire: stands for "the connection closed without a close frame" (§7.1.5).
    public static let abnormalClosure = CloseCode(1006)
    public static let invalidPayloadData = CloseCode(1007)
    public static let policyViolation = CloseCode(1008)
    public static let messageTooBig = CloseCode(1009)
    public static let mandatoryExtension = CloseCode(1010)
    public static let internalError = CloseCode(1011)
    public static let serviceRestart = CloseCode(1012)
    public static let tryAgainLater = CloseCode(1013)
    public static let badGateway = CloseCode(1014)

    /// Whether an endpoint may send this code in a close frame.
    ///
    /// RFC 6455 §7.4.1 defines 1000–1003 and 1007–1011; IANA's registry added 1012–1014.
    /// 1004 is reserved, 1005/1006/1015 must never be sent, 1016–2999 are reserved for future
    /// RFCs, 3000–4999 belong to libraries and applications (§7.4.2). Everything else is invalid.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    public var description: String { String(rawValue) }
}
