import Crypto
import Foundation

/// RFC 6455 §4.2.2 item 5.4: the server proves it read the key by answering
/// base64(SHA-1(key + GUID)).
public enum AcceptKey {
    /// RFC 6455 §1.3.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    public static func compute(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + guid).utf8))
        return Data(digest).base64EncodedString()
    }

    /// RFC 6455 §4.1: the key is base64 of 16 bytes, which is 24 characters.
    public static func isValidClientKey(_ key: String) -> Bool {
        guard key.utf8.count == 24, let decoded = Data(base64Encoded: key) else { return false }
        return decoded.count == 16
    }

    /// A fresh client key from `random`.
    public static func makeClientKey(using random: inout some RandomNumberGenerator) -> String {
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        return Data(bytes).base64EncodedString()
    }
}
