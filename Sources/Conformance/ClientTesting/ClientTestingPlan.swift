import WebSocketCore

/// Which cases can be played from the server side against a client under test, and how.
///
/// A case applies when it only exchanges frames and messages over RFC 6455: handshake and hixie
/// cases test how a server answers a request, and raw-byte steps carry client-masked frames, so
/// neither has a mirror. A case's permessage-deflate offer becomes the server's answer (RFC 7692
/// §7.1.1–§7.1.2: a server may ask for `server_no_context_takeover`, `client_no_context_takeover`
/// and `server_max_window_bits` unasked; `client_max_window_bits` only when the client offered it).
public enum ClientTestingPlan {
    public static func applicable(_ item: ConformanceCase) -> Bool {
        guard !["handshake", "hixie"].contains(item.group) else { return false }
        if let options = item.handshake {
            guard (options.version ?? "rfc6455") == "rfc6455", options.rawRequest == nil, options.appendToRequest == nil,
                  options.requestChop == nil, options.key1 == nil, options.key2 == nil, options.key3 == nil,
                  options.headers == nil, options.subprotocols == nil, options.origin == nil else { return false }
            if let offers = options.offers, !offers.isEmpty, parsedOffer(item) == nil { return false }
        }
        // A frame masked with a chosen key is legal from a client and a violation from a server,
        // so those cases have no mirror either.
        return !item.steps.contains { step in
            step.sendRaw != nil || step.expectStatus != nil || step.expectUpgrade?.noExtension == true
                || (step.send?.mask.map { $0 != "none" && $0 != "random" } ?? false)
        }
    }

    /// The server's permessage-deflate configuration for the case: nil when the case has no offer
    /// (the server then declines deflate, so reserved-bit cases mean what they say).
    static func deflateConfiguration(for item: ConformanceCase) -> DeflateConfiguration? {
        guard let offer = parsedOffer(item) else { return nil }
        var configuration = DeflateConfiguration()
        configuration.ownNoContextTakeover = offer.serverNoContextTakeover
        configuration.requestPeerNoContextTakeover = offer.clientNoContextTakeover
        if let bits = offer.serverMaxWindowBits { configuration.ownMaxWindowBits = max(bits, 9) }
        if case .value(let bits) = offer.clientMaxWindowBits { configuration.peerMaxWindowBits = bits }
        return configuration
    }

    private static func parsedOffer(_ item: ConformanceCase) -> DeflateParameters? {
        guard let first = item.handshake?.offers?.first,
              let element = (try? ExtensionHeader.parse([first]))?.first else { return nil }
        return try? DeflateParameters(element)
    }
}
