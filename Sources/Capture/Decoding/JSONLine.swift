/// `decode --json`: each record as one line of JSON, written directly — the same text as
/// Foundation's `JSONEncoder` with sorted keys and unescaped slashes (a test holds the two equal on
/// every fixture capture), at a fraction of its cost: it ran for two thirds of a large decode.
extension DecodeRecord {
    public var jsonLine: String {
        // Members in sorted key order (what `.sortedKeys` writes), so none is sorted at run time.
        var object = JSONObject()
        switch self {
        case .connection(let r):
            object.add("client", string: r.client)
            object.add("extensions", string: r.extensions)
            object.add("id", int: r.id)
            object.add("note", string: r.note)
            object.add("path", string: r.path)
            object.add("server", string: r.server)
            object.add("start", double: r.start)
            object.add("status", int: r.status)
            object.add("subprotocol", string: r.subprotocol)
            object.add("tls", string: r.tls)
            object.add("type", string: r.type)
            object.add("version", string: r.version)
        case .frame(let r):
            object.add("connection", int: r.connection)
            object.add("direction", string: r.direction.rawValue)
            object.add("fin", bool: r.fin)
            object.add("framing", string: r.framing)
            object.add("masked", bool: r.masked)
            object.add("maskingKey", string: r.maskingKey)
            object.add("opcode", int: r.opcode)
            object.add("opcodeName", string: r.opcodeName)
            object.add("payloadLength", int: r.payloadLength)
            object.add("rsv", int: r.rsv)
            object.add("time", double: r.time)
            object.add("type", string: r.type)
            object.add("wireLength", int: r.wireLength)
        case .message(let r):
            object.add("closeCode", int: r.closeCode)
            object.add("compressed", bool: r.compressed)
            object.add("connection", int: r.connection)
            object.add("direction", string: r.direction.rawValue)
            object.add("hex", string: r.hex)
            object.add("kind", string: r.kind)
            object.add("length", int: r.length)
            object.add("note", string: r.note)
            object.add("text", string: r.text)
            object.add("time", double: r.time)
            object.add("truncated", bool: r.truncated)
            object.add("type", string: r.type)
            object.add("wireLength", int: r.wireLength)
        case .violation(let r):
            object.add("connection", int: r.connection)
            object.add("description", string: r.description)
            object.add("direction", string: r.direction.rawValue)
            object.add("rule", string: r.rule)
            object.add("section", string: r.section)
            object.add("time", double: r.time)
            object.add("type", string: r.type)
        case .gap(let r):
            object.add("bytes", int: r.bytes)
            object.add("connection", int: r.connection)
            object.add("direction", string: r.direction.rawValue)
            object.add("note", string: r.note)
            object.add("time", double: r.time)
            object.add("type", string: r.type)
        case .summary(let r):
            object.add("bytes", counts: r.bytes.mapValues { Optional($0) })
            object.add("closeCodes", counts: r.closeCodes)
            object.add("extensions", string: r.extensions)
            object.add("frames", counts: r.frames.mapValues { Optional($0) })
            object.add("id", int: r.id)
            object.add("messages", counts: r.messages.mapValues { Optional($0) })
            object.add("missingBytes", int: r.missingBytes)
            object.add("retransmittedBytes", int: r.retransmittedBytes)
            object.add("type", string: r.type)
            object.add("version", string: r.version)
            object.add("violations", int: r.violations)
        }
        return object.closed
    }
}

/// An object written as its members are added (in key order); absent optionals are left out, as
/// `encodeIfPresent` does.
struct JSONObject {
    /// UTF-8 bytes: appending to an array costs less than to a String, member after member.
    private var out: [UInt8] = [0x7B]

    init() { out.reserveCapacity(256) }

    private mutating func key(_ key: StaticString) {
        if out.count > 1 { out.append(0x2C) }
        out.append(0x22)
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(contentsOf: [0x22, 0x3A])
    }

    private mutating func write(_ text: String) { out.append(contentsOf: text.utf8) }

    mutating func add(_ key: StaticString, string value: String?) {
        guard let value else { return }
        self.key(key)
        Self.appendQuoted(value, to: &out)
    }

    mutating func add(_ key: StaticString, int value: Int?) {
        guard let value else { return }
        self.key(key)
        write(String(value))
    }

    mutating func add(_ key: StaticString, bool value: Bool?) {
        guard let value else { return }
        self.key(key)
        write(value ? "true" : "false")
    }

    /// JSONEncoder's spelling: the shortest round-tripping form, without `.0` for whole numbers.
    mutating func add(_ key: StaticString, double value: Double) {
        self.key(key)
        write(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : value.description)
    }

    mutating func add(_ key: StaticString, counts values: [String: Int?]) {
        self.key(key)
        out.append(0x7B)
        for (index, (name, count)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(0x2C) }
            Self.appendQuoted(name, to: &out)
            out.append(0x3A)
            write(count.map(String.init) ?? "null")
        }
        out.append(0x7D)
    }

    var closed: String {
        var bytes = out
        bytes.append(0x7D)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 8259 §7: quote and backslash escaped, control characters as \n \r \t \b \f or \u00XX;
    /// everything else (slashes, non-ASCII) as it is.
    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        defer { out.append(0x22) }
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            out.append(contentsOf: text.utf8)
            return
        }
        // Control characters, quote and backslash are ASCII: byte by byte is enough (UTF-8 never
        // uses bytes below 0x80 inside a multi-byte character).
        let hexDigits = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x08: out.append(contentsOf: [0x5C, 0x62])
            case 0x0C: out.append(contentsOf: [0x5C, 0x66])
            case ..<0x20: out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
            default: out.append(byte)
            }
        }
    }
}
