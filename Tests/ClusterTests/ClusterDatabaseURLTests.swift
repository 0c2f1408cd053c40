import Testing
import Cluster

/// `--cluster` URLs: what is accepted, and a message naming what is wrong otherwise.
@Suite struct ClusterDatabaseURLTests {
    @Test func readsEveryPart() throws {
        let url = try ClusterDatabaseURL("postgres://passerelle:s%40cret@db.example:6543/chat?sslmode=require")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.user == "passerelle")
        #expect(url.password == "s@cret")
        #expect(url.database == "chat")
        #expect(url.sslMode == .require)
        #expect(url.description == "postgres://passerelle@db.example:6543/chat", "no password in logs")
    }

    @Test func defaultsPortAndSSLMode() throws {
        let url = try ClusterDatabaseURL("postgresql://app@localhost/passerelle")
        #expect(url.port == 5432)
        #expect(url.sslMode == .disable)
        #expect(url.password == nil)
    }

    @Test func refusesWhatCannotWork() {
        for (text, fragment) in [("mysql://a@b/c", "must look like"), ("postgres://host/db", "no user"),
                                 ("postgres://a@host", "no database"), ("postgres://a@host/db?sslmode=maybe", "sslmode")] {
            do {
                _ = try ClusterDatabaseURL(text)
                Issue.record("\(text) accepted")
            } catch {
                #expect(error.description.contains(fragment), "\(text): \(error)")
            }
        }
    }
}
