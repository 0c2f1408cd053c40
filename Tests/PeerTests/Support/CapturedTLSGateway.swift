import Foundation
import Gateway
import Testing

/// A gateway serving wss that writes its TLS key log into a fresh folder, and dumpcap capturing its
/// port on loopback into `wss.pcapng` in the same folder: what a wss decoding test starts from.
struct CapturedTLSGateway {
    let folder: URL
    let keyLog: URL
    let file: URL
    let gateway: TestGateway
    let dumpcap: PeerProcess.Running
    var filter: String { "tcp port \(gateway.port)" }

    init(name: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("passerelle-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        keyLog = folder.appendingPathComponent("keys.log")
        file = folder.appendingPathComponent("wss.pcapng")
        var configuration = GatewayConfiguration(port: 0)
        configuration.tls = TLSSettings(certificateChainPath: TestCertificate.files.certificate, privateKeyPath: TestCertificate.files.key,
                                        minimumVersion: .tls12, keyLogPath: keyLog.path)
        gateway = try TestGateway(configuration)
        dumpcap = try PeerProcess.start("dumpcap", ["-q", "-i", "lo", "-f", "tcp port \(gateway.port)", "-w", file.path], unblockSignals: true)
    }

    /// dumpcap writes the file's first blocks once its capture is open; a second more covers any
    /// other capture of the same port started beside it (a live pipe has no file to watch).
    func waitUntilCapturing() throws {
        let ready = Date().addingTimeInterval(10)
        while ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0) == 0 {
            guard Date() < ready else { throw PeerError("dumpcap wrote nothing in 10 s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 1)
    }

    /// Stops the capture once the last packets are in (a loopback packet reaches dumpcap within
    /// milliseconds; half a second leaves room on a loaded machine) and checks dumpcap ended well.
    func stop() {
        Thread.sleep(forTimeInterval: 0.5)
        kill(dumpcap.process.processIdentifier, SIGINT)
        #expect(dumpcap.finish(timeout: 10).status == 0)
    }

    func removeFolder() { try? FileManager.default.removeItem(at: folder) }
}
