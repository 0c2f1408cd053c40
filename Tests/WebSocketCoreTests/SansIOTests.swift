import Foundation
import Testing

/// The core must stay sans-I/O: no sockets, clocks, threads or global mutable state, so the
/// gateway, the conformance runner and the capture decoder can all drive it (DESIGN).
@Suite struct SansIOTests {
    static let coreFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/WebSocketCore")

    static let forbidden = [
        "import NIO", "import Dispatch", "import Glibc", "Date(", "DispatchTime", "DispatchQueue", "ContinuousClock",
        "SuspendingClock", "clock_gettime", "Thread.", "socket(", "FileManager", "FileHandle", "ProcessInfo",
        "static var", "nonisolated(unsafe)", "SystemRandomNumberGenerator()\n",
    ]

    @Test func coreSourcesUseNoSocketClockOrGlobal() throws {
        let files = FileManager.default.enumerator(at: Self.coreFolder, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 20)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for pattern in Self.forbidden {
                #expect(!text.contains(pattern), "\(file.lastPathComponent) contains '\(pattern)'")
            }
        }
    }
}
