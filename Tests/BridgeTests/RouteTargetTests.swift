import Bridge
import Testing
import WebSocketCore

/// `--route PATH=URL`: the scheme picks the upstream's version and transport.
@Suite struct RouteTargetTests {
    @Test func schemesPickTheVersion() throws {
        let cases: [(String, ProtocolVersion, Bool, String, Int, String)] = [
            ("ws://backend:8080/socket", .rfc6455, false, "backend", 8080, "/socket"),
            ("wss://backend/socket?room=1", .rfc6455, true, "backend", 443, "/socket?room=1"),
            ("hixie76+ws://127.0.0.1:11345/serveur.php", .hixie76, false, "127.0.0.1", 11345, "/serveur.php"),
            ("hixie76+wss://tv.example", .hixie76, true, "tv.example", 443, "/"),
            ("hixie75+ws://[::1]:9000/vnc", .hixie75, false, "::1", 9000, "/vnc"),
            ("WS://Backend?x=1", .rfc6455, false, "Backend", 80, "/?x=1"),
        ]
        for (url, version, secure, host, port, resource) in cases {
            let target = try RouteTarget(url: url)
            #expect(target.version == version && target.secure == secure, "\(url)")
            #expect(target.host == host && target.port == port && target.resource == resource, "\(url): \(target)")
        }
        #expect(try RouteTarget(url: "ws://backend:80/x").hostHeader == "backend")
        #expect(try RouteTarget(url: "hixie75+ws://[::1]:9000/").hostHeader == "[::1]:9000")
        #expect(try RouteTarget(url: "hixie76+wss://tv:8443/a").description == "hixie76+wss://tv:8443/a")
    }

    @Test func badURLsSayWhy() {
        #expect(throws: RouteTarget.ParseError.unsupportedScheme("http://backend/")) { try RouteTarget(url: "http://backend/") }
        #expect(throws: RouteTarget.ParseError.unsupportedScheme("hixie75+wss://backend/")) { try RouteTarget(url: "hixie75+wss://backend/") }
        #expect(throws: RouteTarget.ParseError.missingHost("ws:///path")) { try RouteTarget(url: "ws:///path") }
        #expect(throws: RouteTarget.ParseError.badPort("ws://backend:0/")) { try RouteTarget(url: "ws://backend:0/") }
        #expect(throws: RouteTarget.ParseError.badPort("ws://backend:http/")) { try RouteTarget(url: "ws://backend:http/") }
    }
}

/// `--route-options PATH=OPT[,OPT…]`.
@Suite struct RouteOptionsTests {
    @Test func optionsOneByOneAndAltogether() throws {
        #expect(try RouteOptions(parsing: "") == RouteOptions())
        let drop = try RouteOptions(parsing: "binary=drop, origin=http://tv.example")
        #expect(drop.binaryToHixie == .drop && drop.origin == "http://tv.example")
        let legacy = try RouteOptions(parsing: "phpwebsocket")
        #expect(legacy.oneWriteHandshake && legacy.key3WithoutNewline && legacy.framePerWrite && legacy.closeByFIN)
        let one = try RouteOptions(parsing: "frame-per-write,binary=utf8")
        #expect(one.framePerWrite && !one.closeByFIN && one.binaryToHixie == .utf8)
    }

    @Test func unknownOptionsAndValuesSayWhy() {
        #expect(throws: RouteOptions.ParseError.unknownOption("fast")) { try RouteOptions(parsing: "fast") }
        #expect(throws: RouteOptions.ParseError.badValue(option: "binary", value: "base64")) { try RouteOptions(parsing: "binary=base64") }
        #expect(throws: RouteOptions.ParseError.unknownOption("phpwebsocket=yes")) { try RouteOptions(parsing: "phpwebsocket=yes") }
    }
}
