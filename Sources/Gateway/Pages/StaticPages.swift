import WebSocketCore

/// Answers to plain HTTP requests (no `Upgrade: websocket`).
enum StaticPages {
    /// `GET /` → the chat page. `GET` on another WebSocket path (a bridged one too) → 426 naming the versions spoken
    /// (a browser opening `/serveur.php` learns it is a WebSocket endpoint). Anything else → 404,
    /// or 405 for methods other than GET/HEAD.
    /// `GET /metrics` → `metrics()` in Prometheus text format.
    static func response(for request: HTTPRequestHead, routes: [String: GatewayConfiguration.Endpoint],
                         bridgedPaths: Set<String> = [], metrics: () -> String = { "" }) -> [UInt8] {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponseWriter.response(status: 405, headers: [("Allow", "GET, HEAD")], body: "method not allowed\n")
        }
        let headOnly = request.method == "HEAD"
        if request.path == "/" {
            return HTTPResponseWriter.response(status: 200, headers: [("Cache-Control", "no-cache")], body: ChatPage.html(offeringRoomDialect: !bridgedPaths.contains("/chat")),
                                               contentType: "text/html; charset=utf-8", headOnly: headOnly)
        }
        if request.path == "/metrics" {
            return HTTPResponseWriter.response(status: 200, headers: [("Cache-Control", "no-cache")], body: metrics(),
                                               contentType: "text/plain; version=0.0.4; charset=utf-8", headOnly: headOnly)
        }
        if routes[request.path] != nil || bridgedPaths.contains(request.path) {
            return HTTPResponseWriter.response(status: 426, headers: [("Sec-WebSocket-Version", "13, 8, 7"), ("Upgrade", "websocket")],
                                               body: "\(request.path) is a WebSocket endpoint\n", headOnly: headOnly)
        }
        return HTTPResponseWriter.response(status: 404, body: "not found: \(request.path)\n", headOnly: headOnly)
    }
}
