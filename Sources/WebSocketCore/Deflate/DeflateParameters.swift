/// The four parameters of one permessage-deflate offer or response (RFC 7692 §7.1).
public struct DeflateParameters: Hashable, Sendable {
    /// `client_max_window_bits` is the one parameter that may appear without a value (in an offer:
    /// "I can limit my window if you ask", §7.1.2.2).
    public enum ClientWindowBits: Hashable, Sendable {
        case absent
        case withoutValue
        case value(Int)
    }

    public var serverNoContextTakeover = false
    public var clientNoContextTakeover = false
    public var serverMaxWindowBits: Int?
    public var clientMaxWindowBits: ClientWindowBits = .absent

    public static let extensionName = "permessage-deflate"
    public static let windowBitsRange = 8...15

    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int? = nil, clientMaxWindowBits: ClientWindowBits = .absent) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// Why an element cannot be used as permessage-deflate parameters (RFC 7692 §7.1: "a server
    /// MUST decline an extension negotiation offer … if [it] has an extension parameter not defined
    /// …, has an extension parameter with an invalid value, or has multiple extension parameters
    /// with the same name").
    public enum Problem: Error, Hashable, Sendable {
        case notPermessageDeflate(String)
        case unknownParameter(String)
        case duplicateParameter(String)
        case invalidValue(parameter: String, value: String?)
    }

    /// Reads the parameters of a `permessage-deflate` element.
    public init(_ element: ExtensionElement) throws(Problem) {
        guard element.name.caseInsensitiveEquals(Self.extensionName) else {
            throw .notPermessageDeflate(element.name)
        }
        var seen = Set<String>()
        for parameter in element.parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { throw .duplicateParameter(name) }
            switch name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { throw .invalidValue(parameter: name, value: parameter.value) }
                serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { throw .invalidValue(parameter: name, value: parameter.value) }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = Self.windowBits(parameter.value) else {
                    throw .invalidValue(parameter: name, value: parameter.value)
                }
                serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value = parameter.value {
                    guard let bits = Self.windowBits(value) else {
                        throw .invalidValue(parameter: name, value: value)
                    }
                    clientMaxWindowBits = .value(bits)
                } else {
                    clientMaxWindowBits = .withoutValue
                }
            default:
                throw .unknownParameter(parameter.name)
            }
        }
    }

    /// §7.1.2.1: "a decimal integer value in the range 8 to 15 inclusive without leading zeros".
    private static func windowBits(_ value: String?) -> Int? {
        guard let value, !value.hasPrefix("0"), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let bits = Int(value), windowBitsRange.contains(bits) else { return nil }
        return bits
    }

    /// The element as sent on the wire.
    public var element: ExtensionElement {
        var parameters: [ExtensionElement.Parameter] = []
        if serverNoContextTakeover { parameters.append(.init("server_no_context_takeover")) }
        if clientNoContextTakeover { parameters.append(.init("client_no_context_takeover")) }
        if let bits = serverMaxWindowBits { parameters.append(.init("server_max_window_bits", String(bits))) }
        switch clientMaxWindowBits {
        case .absent: break
        case .withoutValue: parameters.append(.init("client_max_window_bits"))
        case .value(let bits): parameters.append(.init("client_max_window_bits", String(bits)))
        }
        return ExtensionElement(name: Self.extensionName, parameters: parameters)
    }
}

/// What both sides agreed on: how each direction compresses.
public struct DeflateAgreement: Hashable, Sendable {
    public var serverNoContextTakeover: Bool
    public var clientNoContextTakeover: Bool
    public var serverMaxWindowBits: Int
    public var clientMaxWindowBits: Int

    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// One direction of a deflate stream.
    public struct Direction: Hashable, Sendable {
        public var noContextTakeover: Bool
        public var windowBits: Int
    }

    /// The direction this endpoint compresses in.
    public func outbound(for role: Role) -> Direction {
        role == .server
            ? Direction(noContextTakeover: serverNoContextTakeover, windowBits: serverMaxWindowBits)
            : Direction(noContextTakeover: clientNoContextTakeover, windowBits: clientMaxWindowBits)
    }

    /// The direction this endpoint inflates.
    public func inbound(for role: Role) -> Direction {
        outbound(for: role == .server ? .client : .server)
    }
}

/// Which side of the connection this endpoint is.
public enum Role: String, Hashable, Sendable, Codable {
    case server, client
}
