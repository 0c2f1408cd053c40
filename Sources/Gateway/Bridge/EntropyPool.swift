import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's entropy drawn 256 bytes at a time and shared by the process: the random source
/// of upstream legs, which mask every frame (RFC 6455 §5.3). `SystemRandomNumberGenerator` makes
/// one `getrandom` system call per draw, so one per relayed message; here one per 32 draws.
/// Each value is still the kernel's CSPRNG output, used once (§10.3 asks for keys a peer cannot
/// predict), as arc4random and TLS libraries buffer it.
struct EntropyPool: RandomNumberGenerator {
    private struct Pool {
        var words = [UInt64](repeating: 0, count: 32)
        var used = 32
    }

    private static let shared = Mutex(Pool())

    mutating func next() -> UInt64 {
        Self.shared.withLock { pool in
            if pool.used == pool.words.count {
                pool.words.withUnsafeMutableBytes { Self.fill($0) }
                pool.used = 0
            }
            defer { pool.used += 1 }
            return pool.words[pool.used]
        }
    }

    /// getentropy(3) (at most 256 bytes, the kernel's getrandom source); the stdlib's generator
    /// word by word where it fails.
    private static func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        if getentropy(bytes.baseAddress!, bytes.count) == 0 { return }
        var system = SystemRandomNumberGenerator()
        for index in 0..<(bytes.count / 8) {
            bytes.storeBytes(of: system.next(), toByteOffset: index * 8, as: UInt64.self)
        }
    }
}
