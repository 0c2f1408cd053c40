/// Where a client connection draws its masking keys (RFC 6455 §5.3): the generator it was given.
/// The system's generator is an empty struct, kept as it is; any other is kept in a box — one
/// reference in every connection instead of a 40-byte existential (memory per
/// connection). Copy-on-write: a copied connection draws the keys the original would have drawn,
/// as when the generator was stored inline.
struct MaskingKeySource {
    private final class Box {
        var generator: any RandomNumberGenerator
        init(_ generator: any RandomNumberGenerator) { self.generator = generator }
    }

    private enum Generator {
        case system(SystemRandomNumberGenerator)
        case injected(Box)
        /// Only while `next` draws from the box: the enum lets go of it, so that it may be unique.
        case drawing
    }

    private var generator: Generator

    init(_ generator: any RandomNumberGenerator) {
        if let system = generator as? SystemRandomNumberGenerator {
            self.generator = .system(system)
        } else {
            self.generator = .injected(Box(generator))
        }
    }

    mutating func next() -> UInt32 {
        switch generator {
        case .system(var system):
            return UInt32(truncatingIfNeeded: system.next())
        case .injected(var box):
            generator = .drawing
            if !isKnownUniquelyReferenced(&box) { box = Box(box.generator) }
            let key = UInt32(truncatingIfNeeded: box.generator.next())
            generator = .injected(box)
            return key
        case .drawing:
            preconditionFailure("MaskingKeySource.next is not reentrant")
        }
    }
}
