import WebSocketCore

/// Answers to plain HTTP requests (no `Upgrade: websocket`).
enum StaticPages {
    /// `GET /` → the chat page. `GET` on another WebSocket path → 426 naming the versions spoken
    /// (a browser opening `/serveur.php` learns it is a WebSocket endpoint). Anything else → 404,
    /// or 405 for methods other than GET/HEAD.
    static func response(for request: HTTPRequestHead, routes: [String: GatewayConfiguration.Endpoint]) -> [UInt8] {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponseWriter.response(status: 405, headers: [("Allow", "GET, HEAD")], body: "method not allowed\n")
        }
        let full: [UInt8]
        if request.path == "/" {
            full = HTTPResponseWriter.response(status: 200, headers: [("Cache-Control", "no-cache")], body: ChatPage.html,
                                               contentType: "text/html; charset=utf-8")
        } else if routes[request.path] != nil {
            full = HTTPResponseWriter.response(status: 426, headers: [("Sec-WebSocket-Version", "13, 8, 7"), ("Upgrade", "websocket")],
                                               body: "\(request.path) is a WebSocket endpoint\n")
        } else {
            full = HTTPResponseWriter.response(status: 404, body: "not found: \(request.path)\n")
        }
        guard request.method == "HEAD", let end = headEnd(full) else { return full }
        return Array(full[..<end])
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count where bytes[i - 3] == 13 && bytes[i - 2] == 10 && bytes[i - 1] == 13 && bytes[i] == 10 { return i + 1 }
        return nil
    }
}
