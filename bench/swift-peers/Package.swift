// swift-tools-version:5.9
// The Swift servers Passerelle is compared with: a bare SwiftNIO NIOWebSocket server and
// hummingbird-websocket, each as an echo server and as the tutorial's chat room (scripts/bench
// --swift-peers), and nio-floor, SwiftNIO with one trivial handler — its memory per connection
// (scripts/bench-nio-floor), its echo (scripts/bench-tcp-floor) and its byte tunnel
// (scripts/bench-bridge). One package, so that SwiftNIO is built once for all of them; a package
// of its own, so that the gateway's build never carries them. `--product nio-floor` builds
// SwiftNIO alone.
import PackageDescription

let package = Package(
    name: "swift-peers",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "PeerRoom"),
        .executableTarget(name: "nio-floor", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "nio-websocket-peer", dependencies: [
            "PeerRoom",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        .executableTarget(name: "hummingbird-peer", dependencies: [
            "PeerRoom",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
