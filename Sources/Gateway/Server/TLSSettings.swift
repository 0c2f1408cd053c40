import NIOSSL

/// `--tls-cert/--tls-key`: the gateway then speaks TLS on its port — `wss://` for every version
/// (hixie-75/76 included: their handshake then answers with a `wss://` location) and `https://`
/// for its pages. TLS terminates in front of the same handler, so nothing above it changes.
public struct TLSSettings: Sendable {
    /// PEM file with the certificate chain, leaf first.
    public var certificateChainPath: String
    /// PEM file with the private key.
    public var privateKeyPath: String
    /// Oldest protocol accepted. TLS 1.2 by default (RFC 8996 deprecates 1.0 and 1.1); a 2011
    /// device whose stack stops at TLS 1.0 needs `--tls-min-version 1.0`, an explicit choice
    /// (SECURITY.md).
    public var minimumVersion: Version
    /// `--tls-keylog`: where the sessions' secrets are appended (`TLSKeyLog`); nil, the default: nowhere.
    public var keyLogPath: String?

    public enum Version: String, Sendable, CaseIterable {
        case tls10 = "1.0", tls11 = "1.1", tls12 = "1.2", tls13 = "1.3"

        var nio: TLSVersion {
            switch self {
            case .tls10: .tlsv1
            case .tls11: .tlsv11
            case .tls12: .tlsv12
            case .tls13: .tlsv13
            }
        }
    }

    public init(certificateChainPath: String, privateKeyPath: String, minimumVersion: Version = .tls12, keyLogPath: String? = nil) {
        self.keyLogPath = keyLogPath
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.minimumVersion = minimumVersion
    }

    /// Loads the files once, at start: a missing or unreadable file is an error before the port
    /// opens, not a failure of every connection later.
    func makeContext() throws(GatewayStartError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath)
        } catch {
            throw .tls("--tls-cert \(certificateChainPath): \(error)")
        }
        guard !chain.isEmpty else { throw .tls("--tls-cert \(certificateChainPath): no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw .tls("--tls-key \(privateKeyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = minimumVersion.nio
        if let keyLogPath {
            let keyLog = try TLSKeyLog(path: keyLogPath)
            configuration.keyLogCallback = { keyLog.write($0) }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tls("--tls-cert/--tls-key: \(error) (does the key belong to the certificate?)")
        }
    }
}

/// Why the gateway could not start; the CLI prints it and exits non-zero.
public enum GatewayStartError: Error, CustomStringConvertible {
    case tls(String)
    case bind(host: String, port: Int, underlying: String)

    public var description: String {
        switch self {
        case .tls(let message): "TLS: \(message)"
        case .bind(let host, let port, let underlying): "cannot listen on \(host):\(port): \(underlying)"
        }
    }
}
