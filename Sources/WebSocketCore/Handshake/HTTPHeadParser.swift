/// Limits on an HTTP head, checked while bytes arrive so that a client trickling an endless header
/// block cannot grow memory (the gateway adds the time limit).
public struct HTTPHeadLimits: Hashable, Sendable {
    /// Bytes from the start line to the blank line included. Beyond: 431 (RFC 6585 §5).
    public var maxHeadBytes: Int
    /// Header lines. Beyond: 431.
    public var maxHeaderCount: Int

    /// 8 KiB and 64 lines: browsers send about 500 bytes and 12 lines; cookies are the usual reason
    /// to raise it.
    public init(maxHeadBytes: Int = 8192, maxHeaderCount: Int = 64) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

/// Incremental parser of one HTTP/1.x head (start line + fields + blank line) from raw bytes.
///
/// The same parser reads requests (server side) and responses (client side, capture decoder).
/// Lines end with CRLF; a bare LF is accepted too (RFC 9112 §2.2). Obsolete line folding is
/// rejected (RFC 9112 §5.2), as are fields without a colon or with whitespace before it.
public struct HTTPHeadParser: Sendable {
    public let limits: HTTPHeadLimits
    private var scanned = 0   // bytes already searched for the end of the head

    public init(limits: HTTPHeadLimits = HTTPHeadLimits()) {
        self.limits = limits
    }

    /// Start line and fields, once the whole head has arrived.
    public struct Head: Hashable, Sendable {
        public var startLine: String
        public var headers: HTTPHeaders
    }

    /// Consumes the head from `buffer` when it is complete; returns nil while more bytes are needed.
    /// Bytes after the head stay in `buffer`.
    public mutating func parse(_ buffer: inout ByteQueue) throws(WebSocketError) -> Head? {
        guard let headLength = findEndOfHead(buffer) else {
            if buffer.count > limits.maxHeadBytes {
                throw .headerBlockTooLarge(limit: limits.maxHeadBytes)
            }
            return nil
        }
        guard headLength <= limits.maxHeadBytes else {
            throw .headerBlockTooLarge(limit: limits.maxHeadBytes)
        }
        let bytes = Array(buffer.consume(headLength))
        scanned = 0
        return try Self.parseHead(bytes, limits: limits)
    }

    /// Length of the head including its blank line, if the blank line has arrived.
    private mutating func findEndOfHead(_ buffer: ByteQueue) -> Int? {
        // Leading empty lines before a request line are tolerated (RFC 9112 §2.2) only by
        // skipping nothing: a WebSocket client never sends them, so they are malformed below.
        var i = max(scanned, 1)
        let end = min(buffer.count, limits.maxHeadBytes + 4)
        while i < end {
            if buffer[i] == 0x0A {
                // "\n\n" or "\n\r\n"
                if buffer[i - 1] == 0x0A { return i + 1 }
                if i >= 2 && buffer[i - 1] == 0x0D && buffer[i - 2] == 0x0A { return i + 1 }
            }
            i += 1
        }
        scanned = max(1, end)
        return nil
    }

    static func parseHead(_ bytes: [UInt8], limits: HTTPHeadLimits) throws(WebSocketError) -> Head {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            var lineEnd = index
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lines.append(bytes[lineStart..<lineEnd])
            lineStart = index + 1
        }
        // The last line is the empty one that ends the head.
        guard let startLineBytes = lines.first, !startLineBytes.isEmpty else {
            throw .malformedRequest("empty start line")
        }
        let fieldLines = lines.dropFirst().dropLast()
        guard fieldLines.count <= limits.maxHeaderCount else {
            throw .tooManyHeaders(limit: limits.maxHeaderCount)
        }
        guard let startLine = decodeLine(startLineBytes) else {
            throw .malformedRequest("start line is not text")
        }
        var headers = HTTPHeaders()
        for line in fieldLines {
            guard let first = line.first else { throw .malformedRequest("empty header line") }
            if first == 0x20 || first == 0x09 {
                throw .malformedRequest("obsolete line folding")
            }
            guard let colon = line.firstIndex(of: 0x3A) else {
                throw .malformedRequest("header line without a colon")
            }
            let nameBytes = line[line.startIndex..<colon]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(isTokenCharacter) else {
                throw .malformedRequest("invalid header name")
            }
            guard let value = decodeLine(line[(colon + 1)...]) else {
                throw .malformedRequest("header value is not text")
            }
            headers.add(name: String(decoding: nameBytes, as: UTF8.self),
                        value: value.trimmingHTTPWhitespace())
        }
        return Head(startLine: startLine, headers: headers)
    }

    /// Field values are ISO-8859-1 in old clients; UTF-8 here, control characters refused.
    private static func decodeLine(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else { return nil }
        guard UTF8Validator.isValid(bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Requests: "GET /path HTTP/1.1".
    public static func requestHead(from head: Head) throws(WebSocketError) -> HTTPRequestHead {
        let parts = head.startLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].utf8.allSatisfy(isTokenCharacter) else {
            throw .malformedRequest("request line is not 'METHOD TARGET HTTP/1.1'")
        }
        let version = String(parts[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw .malformedRequest("unsupported HTTP version \(version)")
        }
        return HTTPRequestHead(method: String(parts[0]), target: String(parts[1]),
                               version: version, headers: head.headers)
    }

    /// Responses: "HTTP/1.1 101 Switching Protocols".
    public static func responseHead(from head: Head) throws(WebSocketError) -> HTTPResponseHead {
        let parts = head.startLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."),
              parts[1].count == 3, let status = Int(parts[1]) else {
            throw .malformedResponse("status line is not 'HTTP/1.1 CODE REASON'")
        }
        return HTTPResponseHead(version: String(parts[0]), status: status,
                                reasonPhrase: parts.count > 2 ? String(parts[2]) : "",
                                headers: head.headers)
    }
}

/// RFC 9110 §5.6.2 tchar.
@inline(__always) func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
         UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
         UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
         UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default: return false
    }
}
