import Capture
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes one connection's traffic as pcapng (`serve --record DIR`): the bytes each side sent,
/// wrapped in synthesised IP/TCP packets with the connection's real addresses and ports. File
/// writes are small and sequential; the feature is meant for debugging a device, not for load.
final class ConnectionRecorder {
    private let handle: FileHandle
    private var flow: SyntheticTCPFlow
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

    func close() {
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
