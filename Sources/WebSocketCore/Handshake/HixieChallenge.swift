import Crypto

/// draft-hixie-thewebsocketprotocol-76 §5.2 (and §4.1 for the client): the three-part challenge.
///
/// Each of Sec-WebSocket-Key1/Key2 hides a number: its digits, read as a decimal, divided by its
/// count of spaces. The answer is MD5(n1 as 4 bytes big-endian ‖ n2 ‖ key3), 16 raw bytes.
public enum HixieChallenge {
    public enum KeyProblem: String, Error, Hashable, Sendable {
        case noSpaces = "no spaces"
        case notAMultiple = "number is not a multiple of the spaces"
        case outOfRange = "number out of range"
        case noDigits = "no digits"
    }

    /// The 32-bit number hidden in one key.
    public static func number(fromKey key: String) -> Result<UInt32, KeyProblem> {
        var digits: UInt64 = 0
        var digitCount = 0
        var spaces: UInt64 = 0
        for byte in key.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                digitCount += 1
                // The product of the number and the spaces is at most 4294967295 (§4.1 step 18
                // picks the number ≤ 4294967295 / spaces), so ten digits bound it.
                guard digitCount <= 10 else { return .failure(.outOfRange) }
                digits = digits * 10 + UInt64(byte - 0x30)
            } else if byte == 0x20 {
                spaces += 1
            }
        }
        guard digitCount > 0 else { return .failure(.noDigits) }
        guard digits <= UInt64(UInt32.max) else { return .failure(.outOfRange) }
        guard spaces > 0 else { return .failure(.noSpaces) }
        guard digits % spaces == 0 else { return .failure(.notAMultiple) }
        return .success(UInt32(digits / spaces))
    }

    /// The 16-byte answer to (key1, key2, key3).
    public static func answer(number1: UInt32, number2: UInt32, key3: some Collection<UInt8>) -> [UInt8] {
        var challenge: [UInt8] = []
        challenge.reserveCapacity(16)
        for n in [number1, number2] {
            challenge += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        }
        challenge += key3
        return Array(Insecure.MD5.hash(data: challenge))
    }

    /// A client key per §4.1 steps 16–22: a random number times 1–12 spaces, with 1–12 random
    /// non-digit characters and the spaces inserted at random places (never first or last).
    public static func makeClientKey(using random: inout some RandomNumberGenerator) -> (key: String, number: UInt32) {
        let spaces = UInt32.random(in: 1...12, using: &random)
        let number = UInt32.random(in: 0...(UInt32.max / spaces), using: &random)
        var characters = Array(String(UInt64(number) * UInt64(spaces)))
        let fillers = Array("!\"#$%&'()*+,-./:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")
        for _ in 0..<Int.random(in: 1...12, using: &random) {
            let position = Int.random(in: 0...characters.count, using: &random)
            characters.insert(fillers.randomElement(using: &random)!, at: position)
        }
        for _ in 0..<spaces {
            let position = Int.random(in: 1...(characters.count - 1), using: &random)
            characters.insert(" ", at: position)
        }
        return (String(characters), number)
    }
}
