import Bridge
import Testing
import WebSocketCore

/// What a bridged request carries upstream, and what a client is told when the backend fails.
@Suite struct UpstreamRequestTests {
    static func request(_ fields: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(method: "GET", target: "/chat", version: "HTTP/1.1", headers: HTTPHeaders(fields))
    }

    static let browser = request([
        ("Host", "gateway.example:11345"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"), ("Origin", "http://tv.example"),
        ("Sec-WebSocket-Protocol", "chat, superchat"), ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ("Cookie", "session=1"), ("Authorization", "Bearer t"), ("User-Agent", "HbbTV/1.1.1"),
        ("X-Forwarded-For", "6.6.6.6"), ("Forwarded", "for=6.6.6.6"), ("Keep-Alive", "timeout=5"),
    ])

    static func value(_ name: String, _ upstream: UpstreamRequest) -> [String] {
        upstream.configuration.extraHeaders.filter { $0.0 == name }.map(\.1)
    }

    @Test func theClientsIdentityAndCredentialsCrossItsHopByHopHeadersDoNot() throws {
        let upstream = UpstreamRequest(client: Self.browser, version: .rfc6455, peer: "10.0.0.7", secure: false,
                                       target: try RouteTarget(url: "hixie76+ws://backend:8080/serveur.php"), options: RouteOptions())
        let configuration = upstream.configuration
        #expect(configuration.version == .hixie76 && configuration.host == "backend:8080" && configuration.target == "/serveur.php")
        #expect(configuration.origin == "http://tv.example")
        #expect(configuration.subprotocols == ["chat", "superchat"])
        #expect(Self.value("Cookie", upstream) == ["session=1"] && Self.value("Authorization", upstream) == ["Bearer t"])
        #expect(Self.value("User-Agent", upstream) == ["HbbTV/1.1.1"])
        // An untrusted peer's own forwarding headers are dropped: it could claim any address.
        #expect(Self.value("X-Forwarded-For", upstream) == ["10.0.0.7"])
        #expect(Self.value("X-Forwarded-Proto", upstream) == ["ws"] && Self.value("X-Forwarded-Host", upstream) == ["gateway.example:11345"])
        #expect(Self.value("Forwarded", upstream) == [#"for=10.0.0.7;proto=ws;host="gateway.example:11345""#])
        let names = Set(configuration.extraHeaders.map { $0.0.lowercased() })
        #expect(names.isDisjoint(with: ["keep-alive", "connection", "upgrade", "sec-websocket-key", "sec-websocket-extensions", "sec-websocket-version"]))
    }

    @Test func aTrustedProxysChainIsExtended() throws {
        let upstream = UpstreamRequest(client: Self.browser, version: .rfc6455, peer: "::1", secure: true,
                                       target: try RouteTarget(url: "wss://backend/ws"), options: try RouteOptions(parsing: "origin=https://app.example"),
                                       trustedProxies: ["::1"])
        #expect(Self.value("X-Forwarded-For", upstream) == ["6.6.6.6, ::1"])
        #expect(Self.value("X-Forwarded-Proto", upstream) == ["wss"])
        #expect(Self.value("Forwarded", upstream) == [#"for=6.6.6.6, for="[::1]";proto=wss;host="gateway.example:11345""#])
        #expect(upstream.configuration.origin == "https://app.example" && upstream.configuration.secure)
    }

    @Test func aHixieClientsSubprotocolAndTheLegacySwitches() throws {
        let tv = Self.request([("Host", "gw"), ("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Origin", "null"),
                               ("Sec-WebSocket-Protocol", "chat"), ("Sec-WebSocket-Key1", "1  2"), ("Sec-WebSocket-Key2", "3 4")])
        let upstream = UpstreamRequest(client: tv, version: .hixie76, peer: "192.0.2.1", secure: false,
                                       target: try RouteTarget(url: "hixie76+ws://php.example/serveur.php"), options: try RouteOptions(parsing: "phpwebsocket"))
        #expect(upstream.configuration.subprotocols == ["chat"] && upstream.configuration.origin == "null")
        #expect(upstream.configuration.key3WithoutNewline)
    }

    @Test func backendFailuresBecomeStatuses() {
        #expect(UpstreamFailure.unreachable("connection refused").downstreamStatus == 503)
        #expect(UpstreamFailure.timedOut.downstreamStatus == 504)
        #expect(UpstreamFailure.refused(status: 401).downstreamStatus == 401)
        #expect(UpstreamFailure.refused(status: 404).downstreamStatus == 404)
        #expect(UpstreamFailure.refused(status: 200).downstreamStatus == 502, "an answer that is no upgrade and no error")
        #expect(UpstreamFailure.invalidAnswer(.invalidAcceptKey).downstreamStatus == 502)
        #expect(UpstreamFailure.invalidAnswer(.invalidHixieAnswer).downstreamStatus == 502)
    }
}
