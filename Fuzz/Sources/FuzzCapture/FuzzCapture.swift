import Capture
import FuzzSupport

/// A capture file (pcap or pcapng) through the whole decoder: reader, link layers, IP, TCP
/// reassembly, both WebSocket framings. Property: no crash, whatever the bytes.
@_cdecl("FuzzCapture_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        var decoder = CaptureDecoder(options: .init(maxPayload: 64))
        _ = try? decoder.feed(bytes(data, size))
        _ = try? decoder.finish()
        return 0
    }
}
