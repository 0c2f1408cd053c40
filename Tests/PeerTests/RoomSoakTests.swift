import Bench
import Foundation
import Gateway
import Testing

/// A shortened no-loss soak (the long one: `passerelle bench soak`, README): RFC 6455, deflate and
/// hixie-76 members in one room, numbered lines at a steady rate, some members leaving and
/// returning; every staying member receives every line exactly once, all in one order.
@Suite(.ownThread) struct RoomSoakTests {
    @Test func nothingLostDuplicatedOrReordered() throws {
        let gateway = try TestGateway()
        let report = try SoakLoad(host: "127.0.0.1", port: gateway.port, stayers: 24, churners: 6,
                                  messagesPerSecondPerMember: 4, seconds: 6, churnSeconds: 1).run()
        print("soak: \(report)")
        #expect(report.sent > 300, "\(report)")
        #expect(report.reconnects > 0, "\(report)")
        #expect(report.expectedDeliveries == report.sent * 24)
        #expect(report.lost == 0 && report.duplicated == 0 && report.orderMismatches == 0, "\(report)")
        #expect(report.untoldDisconnects == 0 && report.failures == 0, "\(report)")
        #expect(report.delivered == report.expectedDeliveries, "\(report)")
    }
}
