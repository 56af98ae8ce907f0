import Foundation
import SMTP
import Testing

/// The connection pool against the aiosmtpd test servers: the server's records of the client's
/// address and port show which messages shared a connection.
@Suite("SMTP connection pool", .enabled(if: TestSMTP.isEnabled, TestSMTP.skipReason), .timeLimit(.minutes(1)))
struct SMTPPoolTests {
    private func message(to recipient: SMTPAddress, _ subject: String = "pooled") -> SMTPMessage {
        SMTPMessage(from: "orders@shop.example", to: [recipient], subject: subject, text: subject)
    }

    @Test("messages one after another share one connection (RSET in between)")
    func sequentialReuse() async throws {
        let to = TestSMTP.uniqueAddress()
        try await withClient(try TestSMTP.configuration(TestSMTP.url, maximumConnections: 4)) { client in
            for index in 1...3 {
                try await client.send(message(to: to, "message \(index)"))
            }
            #expect(await client.poolStatistics == SMTPPoolStatistics(open: 1, idle: 1, leased: 0, waiting: 0))
        }
        let received = try await TestSMTP.allReceived(by: "plain", for: to, atLeast: 3)
        #expect(received.count == 3)
        #expect(Set(received.map(\.peer)).count == 1)
    }

    @Test("concurrent messages use at most the maximum number of connections")
    func concurrentLimit() async throws {
        let to = TestSMTP.uniqueAddress()
        try await withClient(try TestSMTP.configuration(TestSMTP.url, maximumConnections: 2)) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...8 {
                    group.addTask { try await client.send(message(to: to, "concurrent \(index)")) }
                }
                try await group.waitForAll()
            }
            let statistics = await client.poolStatistics
            #expect(statistics.open <= 2)
            #expect(statistics.leased == 0)
            #expect(statistics.waiting == 0)
        }
        let received = try await TestSMTP.allReceived(by: "plain", for: to, atLeast: 8)
        #expect(received.count == 8)
        #expect(Set(received.map(\.peer)).count <= 2)
    }

    @Test("a connection the server closed while idle is replaced on the next message")
    func serverClosedIdleConnection() async throws {
        let to = TestSMTP.uniqueAddress()
        try await withClient(try TestSMTP.configuration(TestSMTP.idleURL, maximumConnections: 1)) { client in
            try await client.send(message(to: to, "before"))
            // The idle server drops connections silent for 3 s (not less: on a loaded machine the
            // server once closed the session between the pool's RSET and the MAIL that followed).
            try await Task.sleep(for: .seconds(6))
            try await client.send(message(to: to, "after"))
            #expect(await client.poolStatistics.open == 1)
        }
        let received = try await TestSMTP.allReceived(by: "idle", for: to, atLeast: 2)
        #expect(received.count == 2)
        #expect(Set(received.map(\.peer)).count == 2)
    }

    @Test("a connection dropped mid-message fails that message as transient; the next one goes through")
    func droppedMidMessage() async throws {
        let to = TestSMTP.uniqueAddress()
        try await withClient(try TestSMTP.configuration(TestSMTP.url, maximumConnections: 1)) { client in
            let error = await smtpError {
                try await client.send(message(to: TestSMTP.uniqueAddress("disconnect")))
            }
            #expect(error?.isTransient == true)
            #expect(await client.poolStatistics.open == 0)
            try await client.send(message(to: to, "after the drop"))
            #expect(await client.poolStatistics.open == 1)
        }
        #expect(try await TestSMTP.received(by: "plain", for: to).parsed.subject == "after the drop")
    }

    @Test("after close, sending fails with clientClosed")
    func closed() async throws {
        let client = try SMTPClient(configuration: try TestSMTP.configuration(TestSMTP.url))
        try await client.send(message(to: TestSMTP.uniqueAddress()))
        await client.close()
        #expect(await client.poolStatistics.open == 0)
        let error = await smtpError { try await client.send(message(to: TestSMTP.uniqueAddress())) }
        #expect(error == .clientClosed)
    }
}
