// swift-tools-version:6.0
import PackageDescription

// Dependencies are kept lean on purpose: CI builds from a fresh clone on 2 cores.
let package = Package(
    name: "Passerelle",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "passerelle", targets: ["passerelle"]),
        .library(name: "WebSocketCore", targets: ["WebSocketCore"]),
        .library(name: "Capture", targets: ["Capture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // wss://. Brings BoringSSL: the largest build cost of the package, so only the
        // Gateway links it.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Scale-out: several instances share a room through PostgreSQL (INSERT + NOTIFY).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // zlib from the system (Debian: zlib1g-dev), with a shim for the init macros.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The sans-I/O protocol core: bytes in, events and bytes out. No sockets, clocks or globals.
        .target(
            name: "WebSocketCore",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The chat room's rules (the tutorial's JSON protocol, dialects, fan-out), sans I/O too.
        .target(
            name: "Room",
            dependencies: ["WebSocketCore"]
        ),
        // Capture files (pcap/pcapng) → TCP streams → the core's parsers. Sans I/O: the CLI reads the file.
        .target(
            name: "Capture",
            dependencies: [
                "WebSocketCore",
                // wss captures: TLS 1.2 PRF (HMAC), TLS 1.3 HKDF, AES-GCM and ChaCha20-Poly1305.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The conformance runner: cases as data, a raw client on the core, verdicts and reports.
        // The cases under Conformance/cases are compiled in, so an installed binary carries its suite.
        .target(
            name: "Conformance",
            dependencies: ["WebSocketCore"],
            plugins: [.plugin(name: "EmbedConformanceSuite")]
        ),
        .executableTarget(name: "SuiteEmbedder"),
        .plugin(
            name: "EmbedConformanceSuite",
            capability: .buildTool(),
            dependencies: ["SuiteEmbedder"]
        ),
        // The bridge to a user's own backend, sans I/O: route targets and options, the relay
        // between a pair's two legs (messages, close mapping, bounded queues).
        .target(
            name: "Bridge",
            dependencies: ["WebSocketCore"]
        ),
        // Scale-out: one room across instances through PostgreSQL (ordering sans I/O, link on postgres-nio).
        .target(
            name: "Cluster",
            dependencies: [
                "Room",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The live shell: SwiftNIO moves bytes between sockets and the core.
        .target(
            name: "Gateway",
            dependencies: [
                "WebSocketCore",
                "Bridge",
                "Room",
                "Capture",
                "Cluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Load generation and measurement for `passerelle bench` (SwiftNIO client, /proc figures).
        .target(
            name: "Bench",
            dependencies: [
                "WebSocketCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "passerelle",
            dependencies: [
                "Bench",
                "Gateway",
                "Capture",
                "Cluster",
                "Conformance",
                "WebSocketCore",
                "Bridge",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "WebSocketCoreTests",
            dependencies: ["WebSocketCore", "Conformance"]
        ),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture", "WebSocketCore"]
        ),
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["Conformance", "Gateway", "WebSocketCore"]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Bridge", "Gateway", "WebSocketCore", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "BridgeTests",
            dependencies: ["Bridge", "WebSocketCore"]
        ),
        .testTarget(
            name: "RoomTests",
            dependencies: ["Room", "WebSocketCore"]
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: ["Cluster", "Room"]
        ),
        .testTarget(
            name: "PeerTests",
            dependencies: [
                "Bench",
                "Gateway",
                "Capture",
                "Conformance",
                "WebSocketCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
