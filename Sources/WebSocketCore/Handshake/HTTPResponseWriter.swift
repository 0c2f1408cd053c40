/// Serialises HTTP/1.1 responses byte-exactly (header order kept as given).
public enum HTTPResponseWriter {
    public static func head(status: Int, reason: String? = nil, headers: [(String, String)]) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(reason ?? reasonPhrase(status))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// A complete response with a short text body; `Connection: close`, since after a refused
    /// upgrade the server closes the connection.
    /// `headOnly`: the answer to HEAD (RFC 9110 §9.3.2): the same fields, no body.
    public static func response(status: Int, headers: [(String, String)] = [], body: String,
                                contentType: String = "text/plain; charset=utf-8", headOnly: Bool = false) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var all = headers
        all.append(("Content-Type", contentType))
        all.append(("Content-Length", String(bodyBytes.count)))
        all.append(("Connection", "close"))
        return head(status: status, headers: all) + (headOnly ? [] : bodyBytes)
    }

    /// The answer to a handshake error: its status, its reason as the body, and for 426 the
    /// versions this server speaks (RFC 6455 §4.4).
    public static func rejection(_ error: WebSocketError, supportedVersions: [ProtocolVersion]) -> [UInt8] {
        let status = error.httpStatus ?? 400
        var headers: [(String, String)] = []
        if status == 426 {
            let numbers = supportedVersions.compactMap(\.versionNumber).sorted(by: >).map(String.init)
            headers.append(("Sec-WebSocket-Version", numbers.joined(separator: ", ")))
            headers.append(("Upgrade", "websocket"))
        }
        return response(status: status, headers: headers, body: error.reason + "\n")
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 426: return "Upgrade Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
