import ArgumentParser
import Conformance
import Foundation

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Test a WebSocket server (run) or client (serve) against the conformance cases built into passerelle.",
        subcommands: [Run.self, Serve.self])


    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the cases against a server's echo endpoint.",
            discussion: "Exit status: 0 when nothing FAILED, 1 when a case FAILED, 2 on a usage or setup error.")

        @Argument(help: "The echo endpoint, ws://HOST:PORT/PATH.")
        var url: String

        @Option(help: "Only cases whose id matches (wildcards *, comma-separated).")
        var cases: String?

        @Option(help: "Skip cases whose id matches.")
        var exclude: String?

        @Option(help: "Write results.json, index.html (+ a page per case) and junit.xml here.")
        var report: String?

        @Option(help: "Cases run at once.")
        var parallel: Int = 4

        @Option(help: "Seconds each expectation waits.")
        var timeout: Double = 5

        @Option(help: "A case folder to read instead of the suite built into this binary.")
        var suite: String?

        @Option(help: "Accepted deviations for this target: JSON {\"case-id\": {\"outcome\": \"NON-STRICT\", \"reason\": \"…\"}}.")
        var overrides: String?

        func validate() throws {
            guard parallel >= 1, timeout > 0 else { throw ValidationError("--parallel and --timeout must be positive") }
        }

        func run() throws {
            let target: CaseRunner.Target
            var selected: [ConformanceCase]
            var accepted: [String: ConformanceRun.Override] = [:]
            do {
                target = try CaseRunner.Target(url: url)
                selected = try suite.map { try CaseLoader.load(from: URL(fileURLWithPath: $0)) } ?? CaseLoader.loadEmbedded()
                if let overrides {
                    accepted = try JSONDecoder().decode([String: ConformanceRun.Override].self, from: Data(contentsOf: URL(fileURLWithPath: overrides)))
                }
            } catch {
                FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if let cases { selected = selected.filter { CaseLoader.matches($0.id, cases) } }
            if let exclude { selected = selected.filter { !CaseLoader.matches($0.id, exclude) } }
            guard !selected.isEmpty else {
                FileHandle.standardError.write(Data("conformance: no case matches\n".utf8))
                throw ExitCode(2)
            }
            guard CaseRunner.reachable(target) else {
                FileHandle.standardError.write(Data("conformance: cannot connect to \(target.host):\(target.port)\n".utf8))
                throw ExitCode(2)
            }
            let run = ConformanceRun(cases: selected, runner: CaseRunner(target: target, timeout: timeout),
                                     parallel: parallel, overrides: accepted)
            let terminal = isatty(STDERR_FILENO) == 1
            let start = Date()
            let results = run.execute { done, total in
                guard terminal else { return }
                let width = 30, filled = width * done / total
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total)".utf8))
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            let seconds = Date().timeIntervalSince(start)
            for result in results where result.outcome == .failed {
                print("FAILED \(result.id) (\(result.section)): \(result.reason)")
            }
            if let report {
                try ReportWriter.write(results, target: url, seconds: seconds, to: URL(fileURLWithPath: report))
                print("report: \(report)/index.html")
            }
            print(ReportWriter.summary(results, seconds: seconds))
            if results.contains(where: { $0.outcome == .failed }) { throw ExitCode(1) }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Play the server side of the cases for a WebSocket client under test.",
            discussion: """
            Autobahn fuzzingserver URLs: /getCaseCount, /getCaseInfo?case=N, /runCase?case=N&agent=NAME (the client echoes \
            every message), /updateReports?agent=NAME (writes DIR/NAME/). Open http://HOST:PORT/?agent=NAME in a browser to \
            test its WebSocket client. Runs until interrupted.
            """)

        @Option(help: "Port to listen on.")
        var port: Int = 9001

        @Option(help: "IPv4 address to listen on.")
        var host: String = "127.0.0.1"

        @Option(help: "Only cases whose id matches (wildcards *, comma-separated).")
        var cases: String?

        @Option(help: "Skip cases whose id matches.")
        var exclude: String?

        @Option(help: "Write each agent's report under DIR/AGENT/ on /updateReports.")
        var report: String = "reports/clients"

        @Option(help: "Seconds each expectation waits.")
        var timeout: Double = 5

        @Option(help: "A case folder to read instead of the suite built into this binary.")
        var suite: String?

        @Option(help: "Accepted deviations of the client: JSON {\"case-id\": {\"outcome\": \"NON-STRICT\", \"reason\": \"…\"}}.")
        var overrides: String?

        func validate() throws {
            guard (0...65535).contains(port), timeout > 0 else { throw ValidationError("--port must be 0…65535 and --timeout positive") }
        }

        func run() throws {
            var selected: [ConformanceCase]
            var accepted: [String: ConformanceRun.Override] = [:]
            do {
                selected = try suite.map { try CaseLoader.load(from: URL(fileURLWithPath: $0)) } ?? CaseLoader.loadEmbedded()
                if let overrides {
                    accepted = try JSONDecoder().decode([String: ConformanceRun.Override].self, from: Data(contentsOf: URL(fileURLWithPath: overrides)))
                }
            } catch {
                FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if let cases { selected = selected.filter { CaseLoader.matches($0.id, cases) } }
            if let exclude { selected = selected.filter { !CaseLoader.matches($0.id, exclude) } }
            let server = ConformanceServer(cases: selected, timeout: timeout, reportDirectory: URL(fileURLWithPath: report),
                                           overrides: accepted) { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            guard !server.cases.isEmpty else {
                FileHandle.standardError.write(Data("conformance: no case matches (handshake and hixie cases test servers only)\n".utf8))
                throw ExitCode(2)
            }
            do {
                try server.start(host: host, port: port)
            } catch {
                FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
                throw ExitCode(2)
            }
            FileHandle.standardOutput.write(Data("conformance serve: \(server.cases.count) cases on ws://\(host):\(server.port)/ — open http://\(host):\(server.port)/?agent=NAME in a browser, or drive /runCase?case=N&agent=NAME\n".utf8))
            while true { sleep(3600) }
        }
    }
}
