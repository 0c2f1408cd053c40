/// permessage-deflate negotiation, both sides (RFC 7692 §5, §7.1).
public enum DeflateNegotiation {
    /// The outcome on the server side: the agreement and the element to answer with.
    public struct Accepted: Hashable, Sendable {
        public var agreement: DeflateAgreement
        public var response: ExtensionElement
        /// False when the window-bits-8 policy made this side send uncompressed.
        public var compressOutbound: Bool
    }

    /// Server side: walks the offers in the client's order of preference (§5.1) and accepts the
    /// first one it can honour. Offers of other extensions are ignored (Passerelle implements only
    /// permessage-deflate); a permessage-deflate offer with an unknown or duplicate parameter or an
    /// invalid value is declined and the next is tried (§7.1).
    ///
    /// Per parameter (offer → answer):
    ///
    ///     server_no_context_takeover   offered → echoed (§7.1.1.1 MUST); or set by our config
    ///     client_no_context_takeover   offered → echoed (lets us drop inflate state); or requested by config
    ///     server_max_window_bits=N     answered min(N, own max); absent → own max if < 15
    ///     client_max_window_bits[=N]   answered min(N or 15, peer max) when < 15; never if not offered
    public static func negotiate(offers: [ExtensionElement], configuration: DeflateConfiguration) -> Accepted? {
        for offer in offers where offer.name.caseInsensitiveEquals(DeflateParameters.extensionName) {
            guard let parameters = try? DeflateParameters(offer) else { continue }
            if let accepted = accept(parameters, configuration: configuration) { return accepted }
        }
        return nil
    }

    static func accept(_ offer: DeflateParameters, configuration: DeflateConfiguration) -> Accepted? {
        var agreement = DeflateAgreement()
        agreement.serverNoContextTakeover = offer.serverNoContextTakeover || configuration.ownNoContextTakeover
        agreement.clientNoContextTakeover = offer.clientNoContextTakeover || configuration.requestPeerNoContextTakeover

        var response = DeflateParameters(serverNoContextTakeover: agreement.serverNoContextTakeover,
                                         clientNoContextTakeover: agreement.clientNoContextTakeover)
        let serverBits = min(offer.serverMaxWindowBits ?? 15, configuration.ownMaxWindowBits)
        if offer.serverMaxWindowBits != nil || serverBits < 15 {
            response.serverMaxWindowBits = serverBits
        }
        agreement.serverMaxWindowBits = serverBits
        var compressOutbound = true
        if serverBits == 8 {
            switch configuration.windowBits8Policy {
            case .decline: return nil
            case .acceptUncompressed: compressOutbound = false
            }
        }
        switch offer.clientMaxWindowBits {
        case .absent:
            // §7.1.2.2: the server must not ask for a limit the client did not say it supports.
            agreement.clientMaxWindowBits = 15
        case .withoutValue:
            agreement.clientMaxWindowBits = configuration.peerMaxWindowBits
            if configuration.peerMaxWindowBits < 15 {
                response.clientMaxWindowBits = .value(configuration.peerMaxWindowBits)
            }
        case .value(let offered):
            let bits = min(offered, configuration.peerMaxWindowBits)
            agreement.clientMaxWindowBits = bits
            response.clientMaxWindowBits = .value(bits)
        }
        return Accepted(agreement: agreement, response: response.element, compressOutbound: compressOutbound)
    }

    /// Client side: checks the server's answer against what was offered (§7.1) and returns the
    /// agreement, or the reason to fail the connection.
    public static func validateResponse(_ elements: [ExtensionElement], offers: [DeflateParameters],
                                        configuration: DeflateConfiguration) throws(WebSocketError) -> (DeflateAgreement, compressOutbound: Bool)? {
        guard let element = elements.first else { return nil }
        guard elements.count == 1, !offers.isEmpty else {
            throw .unexpectedExtension(ExtensionHeader.serialize(elements))
        }
        let answer: DeflateParameters
        do {
            answer = try DeflateParameters(element)
        } catch {
            throw .unexpectedExtension(element.description)
        }
        // The answer must fit at least one offer.
        for offer in offers where fits(answer, offer) {
            var agreement = DeflateAgreement(
                serverNoContextTakeover: answer.serverNoContextTakeover,
                clientNoContextTakeover: answer.clientNoContextTakeover,
                serverMaxWindowBits: answer.serverMaxWindowBits ?? 15,
                clientMaxWindowBits: 15)
            if case .value(let bits) = answer.clientMaxWindowBits {
                agreement.clientMaxWindowBits = bits
            } else if case .value(let bits) = offer.clientMaxWindowBits {
                agreement.clientMaxWindowBits = bits
            }
            agreement.clientNoContextTakeover = agreement.clientNoContextTakeover || configuration.ownNoContextTakeover
            var compress = true
            if agreement.clientMaxWindowBits == 8 { compress = false }
            return (agreement, compress)
        }
        throw .unexpectedExtension(element.description)
    }

    /// §7.1.1.1: an offered server_no_context_takeover must be answered; §7.1.2.1: the server's
    /// window must not exceed the offered one; §7.1.2.2: client_max_window_bits only if offered,
    /// and with a value (a bare one is invalid in an answer).
    static func fits(_ answer: DeflateParameters, _ offer: DeflateParameters) -> Bool {
        if offer.serverNoContextTakeover && !answer.serverNoContextTakeover { return false }
        if let offered = offer.serverMaxWindowBits {
            guard let answered = answer.serverMaxWindowBits, answered <= offered else { return false }
        }
        switch answer.clientMaxWindowBits {
        case .absent: break
        case .withoutValue: return false
        case .value(let bits):
            switch offer.clientMaxWindowBits {
            case .absent: return false
            case .withoutValue: break
            case .value(let offered): if bits > offered { return false }
            }
        }
        return true
    }
}
