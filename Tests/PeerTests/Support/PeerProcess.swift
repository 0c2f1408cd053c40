import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a peer program (Python, Perl, Chromium) to completion with a time limit.
struct PeerProcess {
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\n--- stdout\n\(stdout)\n--- stderr\n\(stderr.suffix(2000))" }
    }

    /// Tests/Peers, where the peer scripts live.
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Peers")

    /// Runs a peer to completion, feeding it `stdin`.
    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 60,
                    environment: [String: String] = [:]) throws -> Result {
        let running = try Running(executable, arguments, environment: environment)
        if let stdin { running.write(stdin) }
        return running.finish(timeout: timeout)
    }

    static func script(_ name: String) -> String { scripts.appendingPathComponent(name).path }

    /// bench/servers/NAME: the node ws and Python websockets servers that scripts/bench measures,
    /// also the targets of the conformance baselines.
    static func benchServer(_ name: String) -> String {
        scripts.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("bench/servers/\(name)").path
    }

    /// A loopback port free right now, chosen by the kernel (bind to port 0, read it, close): for a
    /// server started as a separate process. A random pick could land on a port in use — the
    /// ephemeral range holds the clients' own ports — and the server would not start.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw PeerError("cannot bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts a peer that keeps running; feed its stdin with `send`, collect with `finish`.
    static func start(_ executable: String, _ arguments: [String], unblockSignals: Bool = false,
                      environment: [String: String] = [:]) throws -> Running {
        try Running(executable, arguments, unblockSignals: unblockSignals, environment: environment)
    }

    final class Running {
        let process = Process()
        private let input = Pipe(), out = Pipe(), err = Pipe()
        private let outData = Locked(Data()), errData = Locked(Data())
        private let group = DispatchGroup()

        /// `unblockSignals`: children inherit the spawning thread's signal mask, and test threads
        /// block SIGINT/SIGTERM; a peer that must be stopped by a signal (dumpcap) is started
        /// through a tiny wrapper that clears the mask before exec.
        /// `environment` is added to the test's own (e.g. `SSL_CERT_FILE` for a TLS peer).
        init(_ executable: String, _ arguments: [String], unblockSignals: Bool = false, environment: [String: String] = [:]) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.arguments = unblockSignals
                ? ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])", executable] + arguments
                : [executable] + arguments
            process.standardInput = input
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // One thread per pipe, not a block on `DispatchQueue.global()`: every reader blocks until
            // its peer exits, and long-lived peers (gateways, room members) of suites running in
            // parallel held the global pool's threads, so a short peer's readers started late, the
            // 5 s wait below gave up first and its output read as empty (CI: `/metrics` of a healthy
            // instance read as `[:]` four times in a row).
            for (pipe, sink) in [(out, outData), (err, errData)] {
                group.enter()
                let reader = Thread { [group] in
                    // Chunk by chunk, so that `outputSoFar` sees what a running peer printed.
                    while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                        sink.mutate { $0.append(chunk) }
                    }
                    group.leave()
                }
                reader.stackSize = 256 * 1024
                reader.start()
            }
        }

        /// Writes to its stdin; a peer that already exited is not an error here (its exit status tells).
        func write(_ data: Data) { try? input.fileHandleForWriting.write(contentsOf: data) }

        func send(_ line: String) { write(Data((line + "\n").utf8)) }

        /// What the process printed on standard output so far.
        var outputSoFar: String { String(decoding: outData.get(), as: UTF8.self) }

        /// What the process printed on standard error so far (a gateway's log).
        var errorSoFar: String { String(decoding: errData.get(), as: UTF8.self) }

        func finish(timeout: TimeInterval = 60) -> Result {
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(timeout)
            var timedOut = false
            while process.isRunning {
                if Date() > deadline { timedOut = true; break }
                Thread.sleep(forTimeInterval: 0.02)
            }
            if timedOut {
                // A child may inherit blocked signals from a test thread: SIGKILL cannot be blocked.
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            // A grandchild that inherited the pipes can keep them open after the peer exits: wait a
            // while, and say so in stderr rather than pass a partial output off as the whole.
            let readersDone = group.wait(timeout: .now() + 5) == .success
            let stderr = String(decoding: errData.get(), as: UTF8.self)
                + (readersDone ? "" : "\n[test harness: the peer's output was still open 5 s after it exited; what is shown may be partial]")
            return Result(status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
                          stderr: stderr, timedOut: timedOut)
        }

        deinit { if process.isRunning { process.terminate() } }
    }
}

/// A value shared between threads under a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ newValue: Value) { lock.lock(); value = newValue; lock.unlock() }
    func mutate<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
