/// CPU of the server and of this generator over the measured window only: sampled when the window
/// opens and when it closes, so that connecting 1,000 clients or the warm-up does not count (the
/// whole run, scaled down, overstated both by up to 2× at 1,000 connections).
public final class MeasuredWindow: @unchecked Sendable {
    private let serverPid: Int32?
    private var serverAtOpen: ProcessSample?
    private var generatorAtOpen: ProcessSample?
    /// CPU seconds over the window, once it closed.
    public private(set) var serverCPUSeconds: Double?
    public private(set) var generatorCPUSeconds: Double?
    /// The server's memory when the window closed.
    public private(set) var serverResidentBytes: Int?

    public init(serverPid: Int32?) {
        self.serverPid = serverPid
    }

    /// Called by the load (from the thread that runs it) when counting starts…
    public func open() {
        serverAtOpen = serverPid.flatMap(ProcessSample.of)
        generatorAtOpen = ProcessSample.of(0)
    }

    /// …and when it stops.
    public func close() {
        let server = serverPid.flatMap(ProcessSample.of)
        let generator = ProcessSample.of(0)
        if let server, let serverAtOpen { serverCPUSeconds = server.cpuSeconds - serverAtOpen.cpuSeconds }
        if let generator, let generatorAtOpen { generatorCPUSeconds = generator.cpuSeconds - generatorAtOpen.cpuSeconds }
        serverResidentBytes = server?.residentBytes
    }
}
