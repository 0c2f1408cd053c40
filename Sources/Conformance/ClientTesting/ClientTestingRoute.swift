import Foundation

/// What a client under test asked `ConformanceServer` for, from its request-target
/// (Autobahn fuzzingserver's URLs).
struct ClientTestingRoute {
    enum Action: Equatable {
        case caseCount
        case caseInfo
        case runCase(index: Int, agent: String)
        case updateReports(agent: String)
        case unknown
    }

    let action: Action
    /// 0-based index of the case named by `case=N` (1-based), when valid.
    let caseIndex: Int?

    init(target: String, caseCount: Int) {
        let parts = target.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? "/"
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let value = kv.count > 1 ? String(kv[1]) : ""
            query[String(kv[0])] = value.removingPercentEncoding ?? value
        }
        let number = query["case"].flatMap(Int.init)
        caseIndex = number.flatMap { (1...max(caseCount, 1)).contains($0) && caseCount > 0 ? $0 - 1 : nil }
        let agent = query["agent"].flatMap { $0.isEmpty ? nil : $0 } ?? "client"
        switch path {
        case "/getCaseCount": action = .caseCount
        case "/getCaseInfo": action = .caseInfo
        case "/runCase" where caseIndex != nil: action = .runCase(index: caseIndex!, agent: agent)
        case "/updateReports": action = .updateReports(agent: agent)
        default: action = .unknown
        }
    }
}
