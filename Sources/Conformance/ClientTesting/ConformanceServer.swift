import Foundation
import WebSocketCore
#if canImport(Glibc)
import Glibc
#endif

/// `passerelle conformance serve`: plays the server side of the suite for a client under test,
/// the way Autobahn's fuzzingserver does, with the same URLs so existing drivers work:
///
/// - `GET /getCaseCount` (WebSocket): one text message, the number of cases, then a close;
/// - `GET /getCaseInfo?case=N`: the case's `{"id", "title", "section"}` as JSON text;
/// - `GET /runCase?case=N&agent=NAME`: case N (1-based); the client echoes every message it gets;
/// - `GET /updateReports?agent=NAME`: writes NAME's report (JSON, HTML, JUnit) and closes;
/// - `GET /` over plain HTTP: a page that drives a browser through every case (`?agent=NAME`).
///
/// Plain POSIX sockets and one thread per connection, like the client side of the runner.
public final class ConformanceServer: @unchecked Sendable {
    public let cases: [ConformanceCase]
    public private(set) var port: Int = 0
    private let runner: CaseRunner
    private let reportDirectory: URL?
    private let announce: @Sendable (String) -> Void
    private let overrides: [String: ConformanceRun.Override]
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var results: [String: [Int: CaseResult]] = [:]
    private let started = Date()

    /// `cases` are filtered to the ones `ClientTestingPlan` can play.
    public init(cases: [ConformanceCase], timeout: Double = 5, reportDirectory: URL? = nil,
                overrides: [String: ConformanceRun.Override] = [:], announce: @escaping @Sendable (String) -> Void = { _ in }) {
        self.overrides = overrides
        self.cases = cases.filter(ClientTestingPlan.applicable)
        self.runner = CaseRunner(target: nil, timeout: timeout)
        self.reportDirectory = reportDirectory
        self.announce = announce
    }

    /// Binds and starts accepting; `port` 0 picks a free port (read `port` afterwards).
    public func start(host: String = "127.0.0.1", port requested: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(requested).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { close(fd); throw ConformanceError.badTarget("\(host): not an IPv4 address") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw ConformanceError.badTarget("cannot listen on \(host):\(requested): \(String(cString: strerror(errno)))")
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Thread.detachNewThread { self.serve(RawSocket(descriptor: client)) }
            }
        }
    }

    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// What `agent` has run so far, in case order.
    public func results(for agent: String) -> [CaseResult] {
        lock.lock(); defer { lock.unlock() }
        return (results[agent] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
    }

    public var agents: [String] {
        lock.lock(); defer { lock.unlock() }
        return results.keys.sorted()
    }

    // MARK: One connection

    private func serve(_ socket: RawSocket) {
        // The request head decides the case, and the case the handshake's deflate answer.
        var parser = HTTPHeadParser()
        var buffer = ByteQueue()
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        var head: HTTPHeadParser.Head?
        while head == nil {
            guard let bytes = socket.read(until: deadline), !bytes.isEmpty else { return }
            received += bytes
            buffer.append(contentsOf: bytes)
            guard let parsed = try? parser.parse(&buffer) else {
                try? socket.write(HTTPResponseWriter.response(status: 400, body: "bad request\n"))
                return
            }
            head = parsed
        }
        guard let head, let request = try? HTTPHeadParser.requestHead(from: head) else { return }
        let route = ClientTestingRoute(target: request.target, caseCount: cases.count)
        let item: ConformanceCase? = route.caseIndex.map { cases[$0] }
        if route.action == .unknown && request.path != "/" && request.path != "/index.html" {
            try? socket.write(HTTPResponseWriter.response(status: 404, body: "unknown endpoint \(request.path): /getCaseCount, /getCaseInfo?case=N, /runCase?case=N&agent=A, /updateReports?agent=A, or / in a browser\n"))
            return
        }
        var session = ServerSession(configuration: ServerHandshakeConfiguration(
            versions: [.rfc6455, .hybi08, .hybi07], deflate: item.flatMap(ClientTestingPlan.deflateConfiguration)),
                                    limits: ConnectionLimits(maxFrameSize: 64 << 20, maxMessageSize: 64 << 20))
        let output = session.receive(received)
        switch output.handshake {
        case .plainHTTP(let plain, _)?:
            servePlainHTTP(plain, socket)
        case .failed?, .opened?:
            try? socket.write(output.outbound)
        case nil:
            try? socket.write(HTTPResponseWriter.response(status: 400, body: "incomplete request\n"))
        case .request(let accepted)?:
            let opened = session.accept()
            try? socket.write(opened.outbound)
            serveWebSocket(route, item: item, accepted: accepted, session: session, opened: opened, socket)
        }
    }

    private func serveWebSocket(_ route: ClientTestingRoute, item: ConformanceCase?, accepted: AcceptedHandshake,
                                session: ServerSession, opened: SessionOutput, _ socket: RawSocket) {
        var session = session
        func say(_ text: String?) {
            var bytes = text.flatMap { try? session.send(.text($0)) } ?? []
            bytes += (try? session.close(code: .normalClosure, reason: ""))?.outbound ?? []
            try? socket.write(bytes)
            _ = socket.read(until: Date().addingTimeInterval(1))  // the client's close, then we drop TCP
        }
        switch route.action {
        case .caseCount:
            say("\(cases.count)")
        case .caseInfo:
            guard let item else { return say("{}") }
            let info = ["id": item.id, "title": item.title, "section": item.section]
            say(String(decoding: (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])) ?? Data(), as: UTF8.self))
        case .runCase(let index, let agent):
            guard let item else { return say("no such case") }
            var result: CaseResult
            if item.handshake?.requireDeflate == true && accepted.deflate == nil {
                result = CaseResult(id: item.id, group: item.group, title: item.title, section: item.section, outcome: .unimplemented,
                                    reason: "the client did not offer permessage-deflate", override: nil, durationMs: 0, log: [])
            } else {
                // What the bytes behind the request caused was written with the 101: the case sees its events.
                var pipelined = opened
                pipelined.connection.outbound = []
                result = runner.runAsServer(item, socket: socket, session: session, opened: pipelined, seed: UInt64(index))
            }
            if result.outcome == .unimplemented { say(nil) }
            record(result, index: index, agent: agent)
        case .updateReports(let agent):
            writeReport(agent)
            say("report written")
        case .unknown:
            break  // refused with 404 before the handshake
        }
    }

    private func servePlainHTTP(_ request: HTTPRequestHead, _ socket: RawSocket) {
        guard request.method == "GET", request.path == "/" || request.path == "/index.html" else {
            try? socket.write(HTTPResponseWriter.response(status: 404, body: "not found; open / in a browser, or drive /runCase like Autobahn's fuzzingserver\n"))
            return
        }
        try? socket.write(HTTPResponseWriter.response(status: 200, body: ClientDriverPage.html(caseCount: cases.count),
                                                      contentType: "text/html; charset=utf-8"))
    }

    private func record(_ result: CaseResult, index: Int, agent: String) {
        var result = result
        if let override = overrides[result.id] {
            result.override = "\(result.outcome.rawValue) accepted as \(override.outcome.rawValue): \(override.reason)"
            result.outcome = override.outcome
        }
        lock.lock()
        results[agent, default: [:]][index] = result
        let done = results[agent]!.count
        lock.unlock()
        if result.outcome == .failed || result.outcome == .unimplemented {
            announce("\(agent): \(result.outcome.rawValue) \(result.id): \(result.reason)")
        }
        if done == cases.count { announce("\(agent): all \(cases.count) cases run") }
    }

    private func writeReport(_ agent: String) {
        let all = results(for: agent)
        let summary = ReportWriter.summary(all, seconds: Date().timeIntervalSince(started))
        guard let reportDirectory else { return announce("\(agent): \(summary)") }
        let safe = String(agent.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        let directory = reportDirectory.appendingPathComponent(safe.isEmpty ? "client" : safe)
        do {
            try ReportWriter.write(all, target: "client \(agent)", seconds: Date().timeIntervalSince(started), to: directory)
            announce("\(agent): \(summary) — report: \(directory.appendingPathComponent("index.html").path)")
        } catch {
            announce("\(agent): cannot write the report: \(error)")
        }
    }
}
