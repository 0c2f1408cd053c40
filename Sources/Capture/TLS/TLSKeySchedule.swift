import Crypto
import Foundation

/// Traffic keys from the key log's secrets, as the peers derived them.
enum TLSKeySchedule {
    struct TrafficKeys: Hashable {
        let key: [UInt8]
        let iv: [UInt8]
    }

    // MARK: TLS 1.2

    /// RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random),
    /// cut into MAC keys (none for AEAD suites), write keys, then write IVs; client's first.
    static func tls12(masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                      suite: TLSCipherSuite) -> (client: TrafficKeys, server: TrafficKeys) {
        let keyLength = suite.keyLength, ivLength = suite.tls12FixedIVLength
        let block = prf(suite.hash, secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                        length: 2 * keyLength + 2 * ivLength)
        let clientKey = Array(block[0..<keyLength]), serverKey = Array(block[keyLength..<(2 * keyLength)])
        let clientIV = Array(block[(2 * keyLength)..<(2 * keyLength + ivLength)])
        let serverIV = Array(block[(2 * keyLength + ivLength)...])
        return (TrafficKeys(key: clientKey, iv: clientIV), TrafficKeys(key: serverKey, iv: serverIV))
    }

    /// RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed).
    static func prf(_ hash: TLSCipherSuite.Hash, secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        switch hash {
        case .sha256: return pHash(SHA256.self, secret: secret, seed: Array(label.utf8) + seed, length: length)
        case .sha384: return pHash(SHA384.self, secret: secret, seed: Array(label.utf8) + seed, length: length)
        }
    }

    /// RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)); output HMAC(secret, A(i) + seed) …
    private static func pHash<H: HashFunction>(_: H.Type, secret: [UInt8], seed: [UInt8], length: Int) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        var output: [UInt8] = []
        var a = seed
        while output.count < length {
            a = Array(HMAC<H>.authenticationCode(for: a, using: key))
            output += Array(HMAC<H>.authenticationCode(for: a + seed, using: key))
        }
        return Array(output.prefix(length))
    }

    // MARK: TLS 1.3

    /// RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret.
    static func tls13(trafficSecret: [UInt8], suite: TLSCipherSuite) -> TrafficKeys {
        TrafficKeys(key: expandLabel(suite.hash, secret: trafficSecret, label: "key", length: suite.keyLength),
                    iv: expandLabel(suite.hash, secret: trafficSecret, label: "iv", length: 12))
    }

    /// RFC 8446 §7.2: application_traffic_secret_N+1 after a KeyUpdate.
    static func nextTrafficSecret(_ secret: [UInt8], suite: TLSCipherSuite) -> [UInt8] {
        expandLabel(suite.hash, secret: secret, label: "traffic upd", length: suite.hashLength)
    }

    /// RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, "", Length).
    static func expandLabel(_ hash: TLSCipherSuite.Hash, secret: [UInt8], label: String, length: Int) -> [UInt8] {
        let fullLabel = Array("tls13 \(label)".utf8)
        let info = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)] + fullLabel + [0]
        let key = SymmetricKey(data: secret)
        switch hash {
        case .sha256: return HKDF<SHA256>.expand(pseudoRandomKey: key, info: info, outputByteCount: length).withUnsafeBytes { Array($0) }
        case .sha384: return HKDF<SHA384>.expand(pseudoRandomKey: key, info: info, outputByteCount: length).withUnsafeBytes { Array($0) }
        }
    }
}
