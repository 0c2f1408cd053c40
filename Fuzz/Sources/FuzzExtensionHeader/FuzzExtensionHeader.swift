import FuzzSupport
import WebSocketCore

/// Sec-WebSocket-Extensions parsing and permessage-deflate negotiation. Properties: no crash;
/// what parses serialises and parses back the same; whatever the server side accepts from an
/// offer, the client side accepts as the answer to that offer, with the same agreement.
@_cdecl("FuzzExtensionHeader_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let header = String(decoding: bytes(data, size), as: UTF8.self)
        guard let elements = try? ExtensionHeader.parse([header]) else { return 0 }
        let serialized = ExtensionHeader.serialize(elements)
        guard let again = try? ExtensionHeader.parse([serialized]), again == elements else {
            violated("'\(header)' serialised as '\(serialized)', which does not parse back the same")
        }
        let configuration = DeflateConfiguration()
        guard let accepted = DeflateNegotiation.negotiate(offers: elements, configuration: configuration) else { return 0 }
        let offers = elements.compactMap { try? DeflateParameters($0) }
        do throws(WebSocketError) {
            guard let (agreement, _) = try DeflateNegotiation.validateResponse([accepted.response], offers: offers, configuration: configuration) else {
                violated("the client ignored the server's answer '\(accepted.response)'")
            }
            if agreement != accepted.agreement {
                violated("server agreed \(accepted.agreement), client understood \(agreement) for '\(header)'")
            }
        } catch {
            violated("the client refused the server's answer '\(accepted.response)' to '\(header)': \(error)")
        }
        return 0
    }
}
