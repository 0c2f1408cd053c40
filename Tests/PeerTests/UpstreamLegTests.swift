import Bridge
import Foundation
@testable import Gateway
import NIOCore
import NIOPosix
import Testing
import WebSocketCore

/// A bridged pair's upstream leg against real backends: Python websockets (RFC 6455, deflate
/// offered by nobody here) and Perl Protocol::WebSocket (hixie-76) open and echo; a backend that
/// refuses, answers wrongly, says nothing or is not there fails with the matching `UpstreamFailure`.
@Suite(.serialized, .ownThread) struct UpstreamLegTests {
    /// Everything the leg reported, collected across threads.
    final class Reports: @unchecked Sendable {
        private let seen = Locked<[String]>([])
        func note(_ report: UpstreamLeg.Report) {
            switch report {
            case .opened(let accepted, _): seen.mutate { $0.append("opened \(accepted.version.rawValue)") }
            case .failed(let failure): seen.mutate { $0.append("failed \(failure)") }
            case .output(let output):
                for event in output.events {
                    switch event {
                    case .message(.text(let text)): seen.mutate { $0.append("text \(text)") }
                    case .closeReceived(let code, _): seen.mutate { $0.append("close \(code.map { String($0.rawValue) } ?? "none")") }
                    case .transportEnded(let code): seen.mutate { $0.append("ended \(code.rawValue)") }
                    default: break
                    }
                }
            case .waiting, .idleClosed, .transportClosed: break
            }
        }

        func wait(for count: Int, timeout: TimeInterval = 10) -> [String] {
            let deadline = Date().addingTimeInterval(timeout)
            while seen.get().count < count && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            return seen.get()
        }
    }

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func request(_ url: String, options: RouteOptions = RouteOptions()) throws -> (RouteTarget, UpstreamRequest) {
        let target = try RouteTarget(url: url)
        let client = HTTPRequestHead(method: "GET", target: "/chat", version: "HTTP/1.1",
                                     headers: HTTPHeaders([("Host", "gateway.test"), ("Origin", "null")]))
        return (target, UpstreamRequest(client: client, version: .rfc6455, peer: "127.0.0.1", secure: false, target: target, options: options))
    }

    static func open(_ url: String, options: RouteOptions = RouteOptions(), timeout: Double = 5) throws -> (UpstreamLeg?, Reports) {
        let reports = Reports()
        let (target, request) = try Self.request(url, options: options)
        let loop = group.next()
        let (leg, connected) = UpstreamLeg.connect(to: target, request: request, options: options, timeout: timeout, on: loop) { reports.note($0) }
        return ((try? connected.wait()) == nil ? nil : leg, reports)
    }

    @Test(arguments: ["ws", "hixie76+ws"])
    func opensEchoesAndCloses(scheme: String) throws {
        let server = scheme == "ws" ? try BackgroundPeer("python3", [PeerProcess.benchServer("python_websockets_echo.py")])
                                    : try BackgroundPeer("perl", [PeerProcess.script("hixie76_server.pl")])
        let (leg, reports) = try Self.open("\(scheme)://127.0.0.1:\(server.port)/serveur.php")
        let upstream = try #require(leg)
        #expect(reports.wait(for: 1) == ["opened \(scheme == "ws" ? "rfc6455" : "hixie-76")"])
        try Self.group.next().submit { upstream.send(.text("Bonjour")) }.wait()
        #expect(reports.wait(for: 2).last == "text Bonjour")
        try Self.group.next().submit { upstream.close(code: .normalClosure, reason: "") }.wait()
        let seen = reports.wait(for: 3)
        #expect(seen.count >= 3 && seen[2] == (scheme == "ws" ? "close 1000" : "close none"), "\(seen)")
    }

    @Test func failuresAreTold() throws {
        let refusing = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "refuse403"])
        #expect(try Self.open("ws://127.0.0.1:\(refusing.port)/").1.wait(for: 1) == ["failed refused(status: 403)"])
        let wrong = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "badaccept"])
        #expect(try Self.open("ws://127.0.0.1:\(wrong.port)/").1.wait(for: 1) == ["failed invalidAnswer(WebSocketCore.WebSocketError.invalidAcceptKey)"])
        let silent = try BackgroundPeer("python3", [PeerProcess.script("python_fake_backend.py"), "silent"])
        #expect(try Self.open("ws://127.0.0.1:\(silent.port)/", timeout: 0.5).1.wait(for: 1) == ["failed timedOut"])
        let nobody = try PeerProcess.freePort()
        let unreachable = try Self.open("ws://127.0.0.1:\(nobody)/").1.wait(for: 1)
        #expect(unreachable.count == 1 && unreachable[0].hasPrefix("failed unreachable"), "\(unreachable)")
        #expect(UpstreamFailure.refused(status: 403).downstreamStatus == 403)
    }
}
