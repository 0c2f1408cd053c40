import WebSocketCore

/// One TLS record as it crossed the wire (RFC 8446 §5.1, RFC 5246 §6.2).
struct TLSRecord: Hashable, Sendable {
    static let changeCipherSpec: UInt8 = 20, alert: UInt8 = 21, handshake: UInt8 = 22, applicationData: UInt8 = 23

    let contentType: UInt8
    let version: UInt16
    let fragment: [UInt8]

    /// The 5-byte header: TLS 1.3's additional data (RFC 8446 §5.2).
    var header: [UInt8] {
        [contentType, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(fragment.count >> 8), UInt8(fragment.count & 0xFF)]
    }

    /// RFC 5246 §6.2.3: a protected fragment is at most 2^14 + 2048 bytes; content types 20–24;
    /// the record version is 3.x.
    static let maxFragment = (1 << 14) + 2048

    static func plausibleHeader(type: UInt8, major: UInt8, minor: UInt8, length: Int) -> Bool {
        (20...24).contains(type) && major == 3 && minor <= 4 && length <= maxFragment
    }
}

/// Cuts one direction's bytes into records, whatever the TCP segmentation.
struct TLSRecordSplitter {
    private var buffer = ByteQueue()

    var buffered: Int { buffer.count }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Drops what is held (after a gap: its bytes are not a record's start).
    mutating func reset() {
        buffer = ByteQueue()
    }

    /// The next whole record; nil when more bytes are needed. Throws on a header no TLS peer writes.
    mutating func next() -> Result<TLSRecord, NotARecord>? {
        guard buffer.count >= 5 else { return nil }
        let length = Int(buffer[3]) << 8 | Int(buffer[4])
        guard TLSRecord.plausibleHeader(type: buffer[0], major: buffer[1], minor: buffer[2], length: length) else {
            return .failure(NotARecord(header: Array(buffer.readable.prefix(5))))
        }
        guard buffer.count >= 5 + length else { return nil }
        let header = buffer.consume(5)
        let fragment = Array(buffer.consume(length))
        buffer.releaseIfEmpty()
        return .success(TLSRecord(contentType: header[header.startIndex], version: UInt16(header[header.startIndex + 1]) << 8 | UInt16(header[header.startIndex + 2]),
                                  fragment: fragment))
    }

    /// The first offset in what is held where a record header starts and its length lands exactly
    /// on another plausible header: evidence of alignment after lost bytes. Bytes before it are dropped.
    mutating func realign(acceptingTheEnd: Bool) -> Int? {
        var offset = 0
        while offset + 5 <= buffer.count {
            let length = Int(buffer[offset + 3]) << 8 | Int(buffer[offset + 4])
            if buffer[offset] == TLSRecord.applicationData,
               TLSRecord.plausibleHeader(type: buffer[offset], major: buffer[offset + 1], minor: buffer[offset + 2], length: length) {
                let next = offset + 5 + length
                if next + 5 <= buffer.count {
                    let nextLength = Int(buffer[next + 3]) << 8 | Int(buffer[next + 4])
                    if TLSRecord.plausibleHeader(type: buffer[next], major: buffer[next + 1], minor: buffer[next + 2], length: nextLength),
                       buffer[next + 1] == buffer[offset + 1], buffer[next + 2] == buffer[offset + 2] {
                        _ = buffer.consume(offset)
                        return offset
                    }
                } else if next == buffer.count, acceptingTheEnd {
                    _ = buffer.consume(offset)
                    return offset
                } else if next > buffer.count {
                    return nil   // wait for the bytes that confirm or refute this offset
                }
            }
            offset += 1
        }
        return nil
    }

    struct NotARecord: Error, Hashable {
        let header: [UInt8]
    }
}

extension TLSRecordSplitter {
    /// Passes over bytes known not to start a record.
    mutating func drop(_ count: Int) {
        _ = buffer.consume(Swift.min(count, buffer.count))
    }
}
