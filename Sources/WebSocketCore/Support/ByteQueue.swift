/// A FIFO of bytes read from the wire: append at the end, consume from the front.
///
/// Consuming only moves an index; the storage is compacted when the dead prefix is larger than
/// what is still unread, so parsing a stream costs amortised O(1) per byte. Drained storage is
/// reused by the next `append` — by then the slices `consume` handed out are gone, so reusing it
/// copies nothing (emptying it inside `consume`, while a slice still shared it, allocated anew).
public struct ByteQueue: Sendable {
    private var storage: [UInt8] = []
    private var readIndex = 0

    /// The most capacity kept once every byte has been consumed.
    public static let retainedCapacity = 4096

    public init() {}

    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        storage = Array(bytes)
    }

    public var count: Int { storage.count - readIndex }
    public var isEmpty: Bool { count == 0 }

    /// The unread bytes, without copying.
    public var readable: ArraySlice<UInt8> { storage[readIndex...] }

    public subscript(offset: Int) -> UInt8 { storage[readIndex + offset] }

    public mutating func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        if readIndex > 0 && readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 0 && readIndex >= storage.count - readIndex {
            storage.removeFirst(readIndex)
            readIndex = 0
        }
        storage.append(contentsOf: bytes)
    }

    /// Removes and returns the first `n` bytes (n ≤ count).
    @discardableResult
    public mutating func consume(_ n: Int) -> ArraySlice<UInt8> {
        precondition(n <= count, "consume beyond readable bytes")
        let slice = storage[readIndex..<(readIndex + n)]
        readIndex += n
        if readIndex == storage.count && storage.capacity > Self.retainedCapacity {
            // Drained after a large message: an idle connection must not hold what its biggest
            // frame once took (a small buffer stays, for the next read).
            storage = []
            readIndex = 0
        }
        return slice
    }

    /// Lends the first `n` unread bytes to `body`, writable where they lie (the parser unmasks a
    /// payload in place and the gateway echoes it from there), then consumes them. The pointer is
    /// valid only during the call.
    mutating func consume<R>(_ n: Int, inPlace body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        precondition(n <= count, "consume beyond readable bytes")
        let start = readIndex
        let result = storage.withUnsafeMutableBytes { all in
            body(UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + n)]))
        }
        consume(n)
        return result
    }

    /// Frees the storage when every byte has been read (a quiet connection's buffer).
    public mutating func releaseIfEmpty() {
        if isEmpty { self = ByteQueue() }
    }

    /// Removes and returns everything unread.
    public mutating func consumeAll() -> [UInt8] {
        Array(consume(count))
    }

    /// Index (relative to the unread start) of the first `byte` at or after `from`, if any.
    public func firstIndex(of byte: UInt8, from: Int = 0) -> Int? {
        var i = readIndex + from
        let end = storage.count
        while i < end {
            if storage[i] == byte { return i - readIndex }
            i += 1
        }
        return nil
    }
}
