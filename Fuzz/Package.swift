// swift-tools-version:6.0
// libFuzzer targets for the parsers, in a package of their own so that a plain `swift build` of
// Passerelle never links them. Built by scripts/fuzz with -sanitize=fuzzer,address.
import Foundation
import PackageDescription

// A path dependency is named after its folder, whatever the clone is called.
let passerelle = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let fuzzers: [(name: String, product: String)] = [
    ("FuzzHandshake", "WebSocketCore"), ("FuzzFrameParser", "WebSocketCore"), ("FuzzHixieParser", "WebSocketCore"),
    ("FuzzInflater", "WebSocketCore"), ("FuzzExtensionHeader", "WebSocketCore"), ("FuzzCapture", "Capture"),
]

let package = Package(
    name: "PasserelleFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "WebSocketCore", package: passerelle)]),
    ] + fuzzers.map { fuzzer in
        .executableTarget(name: fuzzer.name, dependencies: ["FuzzSupport"] + Set([fuzzer.product, "WebSocketCore"]).sorted().map {
            .product(name: $0, package: passerelle)
        })
    }
)
