/// The cipher suites whose records `decode` opens: the AEAD ones (RFC 5288, RFC 7905, RFC 8446
/// §B.4). CBC suites with HMAC are out of scope: browsers have not negotiated them by default
/// since 2016.
struct TLSCipherSuite: Hashable, Sendable {
    enum Cipher: Hashable, Sendable { case aes128GCM, aes256GCM, chaCha20Poly1305 }
    enum Hash: Hashable, Sendable { case sha256, sha384 }

    let id: UInt16
    let name: String
    let cipher: Cipher
    let hash: Hash

    var keyLength: Int { cipher == .aes128GCM ? 16 : 32 }
    /// TLS 1.2 write IV: the 4-byte GCM salt (RFC 5288 §3) or the 12-byte ChaCha20 IV (RFC 7905 §2).
    var tls12FixedIVLength: Int { cipher == .chaCha20Poly1305 ? 12 : 4 }
    /// RFC 5288 §3: AES-GCM records carry an 8-byte explicit nonce before the ciphertext.
    var tls12ExplicitNonceLength: Int { cipher == .chaCha20Poly1305 ? 0 : 8 }
    var hashLength: Int { hash == .sha256 ? 32 : 48 }

    static func named(_ id: UInt16) -> TLSCipherSuite? { known[id] }

    /// IANA names, as tshark and OpenSSL's `-ciphersuites` print them.
    private static let known: [UInt16: TLSCipherSuite] = {
        let suites: [(UInt16, String, Cipher, Hash)] = [
            (0x1301, "TLS_AES_128_GCM_SHA256", .aes128GCM, .sha256),
            (0x1302, "TLS_AES_256_GCM_SHA384", .aes256GCM, .sha384),
            (0x1303, "TLS_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256),
            (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256),
            (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384),
            (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256),
            (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384),
            (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256),
            (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256),
            (0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256),
            (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256),
            (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384),
            (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256),
            (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384),
        ]
        return Dictionary(uniqueKeysWithValues: suites.map { ($0.0, TLSCipherSuite(id: $0.0, name: $0.1, cipher: $0.2, hash: $0.3)) })
    }()
}
