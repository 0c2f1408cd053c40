import Foundation

/// A peer server running in the background (Python websockets, Perl Protocol::WebSocket) that
/// prints its port on its first line; stopped when the value is released.
final class BackgroundPeer {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    let port: Int

    init(_ executable: String, _ arguments: [String], timeout: TimeInterval = 15) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        // Read the first line (the port) byte by byte, so nothing after it is consumed.
        var line = Data()
        let deadline = Date().addingTimeInterval(timeout)
        let handle = output.fileHandleForReading
        while Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw PeerError("\(executable) \(arguments) did not print its port (got '\(String(decoding: line, as: UTF8.self))')")
        }
        self.port = port
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        // A peer inherits the test thread's blocked SIGTERM (PeerProcess.start): if it is still
        // there after a while (a server that waits for a connection no one made), SIGKILL.
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

struct PeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
