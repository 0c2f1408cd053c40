/// One element of a `Sec-WebSocket-Extensions` list: a name and its parameters, in order.
public struct ExtensionElement: Hashable, Sendable, CustomStringConvertible {
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?
        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    public var parameters: [Parameter]

    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// Serialised as this server writes it: `name; p1; p2=v`.
    public var description: String {
        ([name] + parameters.map { p in p.value.map { "\(p.name)=\($0)" } ?? p.name })
            .joined(separator: "; ")
    }
}

/// Parser for `Sec-WebSocket-Extensions` (RFC 6455 §9.1):
///
///     extension-list = 1#extension
///     extension      = extension-token *( ";" extension-param )
///     extension-param = token [ "=" (token | quoted-string) ]
///
/// Several header lines are one list (RFC 9110 §5.3). A quoted value must still be a token once
/// unquoted (§9.1: "the value MUST conform to the 'token' ABNF"), so `client_max_window_bits="10"`
/// is `10`. A syntax error anywhere makes the whole header invalid.
public enum ExtensionHeader {
    public static func parse(_ lines: [String]) throws(WebSocketError) -> [ExtensionElement] {
        var elements: [ExtensionElement] = []
        for line in lines {
            var scanner = Scanner(Array(line.utf8))
            try scanner.parseList(into: &elements)
        }
        return elements
    }

    public static func serialize(_ elements: [ExtensionElement]) -> String {
        elements.map(\.description).joined(separator: ", ")
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }

        mutating func skipWhitespace() {
            while !atEnd, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        }

        mutating func token() -> String? {
            let start = index
            while !atEnd, isTokenCharacter(bytes[index]) { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        mutating func quotedString() throws(WebSocketError) -> String {
            index += 1 // opening quote
            var value: [UInt8] = []
            while !atEnd {
                let byte = bytes[index]
                index += 1
                if byte == 0x22 { return String(decoding: value, as: UTF8.self) }
                if byte == 0x5C {
                    guard !atEnd else { break }
                    value.append(bytes[index])
                    index += 1
                } else {
                    value.append(byte)
                }
            }
            throw .invalidHeader(name: "Sec-WebSocket-Extensions", reason: "unterminated quoted string")
        }

        func fail(_ why: String) -> WebSocketError {
            .invalidHeader(name: "Sec-WebSocket-Extensions", reason: why)
        }

        mutating func parseList(into elements: inout [ExtensionElement]) throws(WebSocketError) {
            while true {
                skipWhitespace()
                if atEnd { return }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }  // empty list element
                guard let name = token() else { throw fail("expected an extension name") }
                var element = ExtensionElement(name: name)
                skipWhitespace()
                while !atEnd, bytes[index] == UInt8(ascii: ";") {
                    index += 1
                    skipWhitespace()
                    guard let parameterName = token() else { throw fail("expected a parameter name") }
                    skipWhitespace()
                    var value: String?
                    if !atEnd, bytes[index] == UInt8(ascii: "=") {
                        index += 1
                        skipWhitespace()
                        if !atEnd, bytes[index] == 0x22 {
                            let unquoted = try quotedString()
                            guard !unquoted.isEmpty, unquoted.utf8.allSatisfy(isTokenCharacter) else {
                                throw fail("quoted value is not a token")
                            }
                            value = unquoted
                        } else {
                            guard let bare = token() else { throw fail("expected a parameter value") }
                            value = bare
                        }
                        skipWhitespace()
                    }
                    element.parameters.append(.init(parameterName, value))
                }
                elements.append(element)
                if atEnd { return }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or ';'") }
                index += 1
            }
        }
    }
}
