import Capture
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes one connection's traffic as pcapng (`serve --record DIR`): the bytes each side sent,
/// wrapped in synthesised IP/TCP packets with the connection's real addresses and ports. A bridged
/// pair's upstream leg is a second TCP stream in the same file (`decode` shows both legs). File
/// writes are small and sequential; the feature is meant for debugging a device, not for load.
final class ConnectionRecorder {
    private let handle: FileHandle
    private var flow: SyntheticTCPFlow
    /// The bridged pair's upstream connection (Passerelle is its client), once connected.
    private var upstreamFlow: SyntheticTCPFlow?
    let path: String

    init?(directory: String, id: Int, client: SocketAddress?, server: SocketAddress?) {
        guard let client = Self.endpoint(client), let server = Self.endpoint(server) else { return nil }
        let stamp = Int(Date().timeIntervalSince1970)
        path = (directory as NSString).appendingPathComponent("passerelle-\(stamp)-\(id).pcapng")
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else { return nil }
        self.handle = handle
        flow = SyntheticTCPFlow(client: client, server: server)
        write(PcapngWriter.header())
        for packet in flow.open() { write(PcapngWriter.packet(timestampNanos: Self.now(), data: packet)) }
    }

    func record(_ direction: Capture.Direction, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let time = Self.now()
        for packet in flow.send(direction, bytes) { write(PcapngWriter.packet(timestampNanos: time, data: packet)) }
    }

    /// The upstream leg connected from `local` to the backend at `remote` (a retry's new
    /// connection replaces the failed one's stream).
    func upstreamConnected(local: SocketAddress?, remote: SocketAddress?) {
        guard let local = Self.endpoint(local), let remote = Self.endpoint(remote) else { return }
        closeUpstream()
        var flow = SyntheticTCPFlow(client: local, server: remote)
        for packet in flow.open() { write(PcapngWriter.packet(timestampNanos: Self.now(), data: packet)) }
        upstreamFlow = flow
    }

    /// Bytes of the upstream leg: `.c2s` what Passerelle sent the backend, `.s2c` what it answered.
    func recordUpstream(_ direction: Capture.Direction, _ bytes: [UInt8]) {
        guard !bytes.isEmpty, var flow = upstreamFlow else { return }
        let time = Self.now()
        for packet in flow.send(direction, bytes) { write(PcapngWriter.packet(timestampNanos: time, data: packet)) }
        upstreamFlow = flow
    }

    private func closeUpstream() {
        guard var flow = upstreamFlow else { return }
        for packet in flow.close() { write(PcapngWriter.packet(timestampNanos: Self.now(), data: packet)) }
        upstreamFlow = nil
    }

    func close() {
        closeUpstream()
        for packet in flow.close() { write(PcapngWriter.packet(timestampNanos: Self.now(), data: packet)) }
        try? handle.close()
    }

    private func write(_ bytes: [UInt8]) {
        try? handle.write(contentsOf: bytes)
    }

    private static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    private static func endpoint(_ address: SocketAddress?) -> TCPSegment.Endpoint? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        let isV6 = address.protocol == .inet6
        var storage = [UInt8](repeating: 0, count: isV6 ? 16 : 4)
        let ok = storage.withUnsafeMutableBytes { inet_pton(isV6 ? AF_INET6 : AF_INET, ip, $0.baseAddress) }
        guard ok == 1 else { return nil }
        return TCPSegment.Endpoint(address: storage, port: UInt16(port))
    }
}
