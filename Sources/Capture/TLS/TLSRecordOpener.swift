import Crypto
import Foundation

/// Opens one direction's protected records with its traffic keys, counting the sequence number
/// that both TLS versions fold into the nonce or the additional data.
struct TLSRecordOpener {
    let suite: TLSCipherSuite
    let keys: TLSKeySchedule.TrafficKeys
    let isTLS13: Bool
    private(set) var sequence: UInt64 = 0
    private let key: SymmetricKey

    init(suite: TLSCipherSuite, keys: TLSKeySchedule.TrafficKeys, isTLS13: Bool, sequence: UInt64 = 0) {
        self.suite = suite
        self.keys = keys
        self.isTLS13 = isTLS13
        self.sequence = sequence
        key = SymmetricKey(data: keys.key)
    }

    /// The record's content type and plaintext, or nil when it does not authenticate.
    mutating func open(_ record: TLSRecord) -> (contentType: UInt8, plaintext: [UInt8])? {
        guard let opened = open(record, sequence: sequence) else { return nil }
        sequence += 1
        return opened
    }

    /// Opens at a given sequence number without moving the count (trying candidates after a gap).
    func open(_ record: TLSRecord, sequence: UInt64) -> (contentType: UInt8, plaintext: [UInt8])? {
        let fragment = record.fragment
        if isTLS13 {
            // RFC 8446 §5.2–5.4: nonce = iv XOR padded sequence; the header is the additional data;
            // the inner plaintext ends with the real content type, then zero padding.
            guard fragment.count >= 17 else { return nil }
            let nonce = xorSequence(keys.iv, sequence)
            guard var inner = openBox(nonce: nonce, ciphertext: fragment.dropLast(16), tag: fragment.suffix(16), additionalData: record.header) else { return nil }
            while let last = inner.last, last == 0 { inner.removeLast() }
            guard let type = inner.popLast() else { return nil }
            return (type, inner)
        }
        let explicit = suite.tls12ExplicitNonceLength
        guard fragment.count >= explicit + 16 else { return nil }
        // RFC 5288 §3: salt + explicit nonce; RFC 7905 §2: iv XOR padded sequence.
        let nonce = explicit > 0 ? keys.iv + fragment.prefix(explicit) : xorSequence(keys.iv, sequence)
        let ciphertext = fragment.dropFirst(explicit).dropLast(16)
        // RFC 5246 §6.2.3.3: seq_num + type + version + length of the plaintext.
        var additionalData = withUnsafeBytes(of: sequence.bigEndian) { Array($0) }
        additionalData += [record.contentType, UInt8(record.version >> 8), UInt8(record.version & 0xFF),
                           UInt8(ciphertext.count >> 8), UInt8(ciphertext.count & 0xFF)]
        guard let plaintext = openBox(nonce: nonce, ciphertext: ciphertext, tag: fragment.suffix(16), additionalData: additionalData) else { return nil }
        return (record.contentType, plaintext)
    }

    private func xorSequence(_ iv: [UInt8], _ sequence: UInt64) -> [UInt8] {
        var nonce = iv
        for i in 0..<8 { nonce[nonce.count - 1 - i] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
        return nonce
    }

    private func openBox(nonce: [UInt8], ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>, additionalData: [UInt8]) -> [UInt8]? {
        switch suite.cipher {
        case .aes128GCM, .aes256GCM:
            guard let n = try? AES.GCM.Nonce(data: nonce),
                  let box = try? AES.GCM.SealedBox(nonce: n, ciphertext: ciphertext, tag: tag),
                  let plaintext = try? AES.GCM.open(box, using: key, authenticating: additionalData) else { return nil }
            return Array(plaintext)
        case .chaCha20Poly1305:
            guard let n = try? ChaChaPoly.Nonce(data: nonce),
                  let box = try? ChaChaPoly.SealedBox(nonce: n, ciphertext: ciphertext, tag: tag),
                  let plaintext = try? ChaChaPoly.open(box, using: key, authenticating: additionalData) else { return nil }
            return Array(plaintext)
        }
    }
}
