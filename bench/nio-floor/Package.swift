// swift-tools-version:5.9
// The memory floor of SwiftNIO itself (scripts/bench-nio-floor): a server whose one handler drops
// what it reads, configured like Passerelle's connections. A package of its own so that the
// gateway's build never carries it.
import PackageDescription

let package = Package(
    name: "nio-floor",
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .executableTarget(name: "nio-floor", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ])
    ]
)
