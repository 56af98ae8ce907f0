import Testing

@testable import AMQP

@Suite("Configuration: URLs, backoff, negotiation, errors")
struct ConfigurationTests {
    @Test("a full URL sets every part")
    func fullURL() throws {
        let c = try AMQPConfiguration(url: "amqp://alice:s3cret@rabbit.internal:5673/orders?heartbeat=15&connection_timeout=2500")
        #expect(c.user == "alice")
        #expect(c.password == "s3cret")
        #expect(c.host == "rabbit.internal")
        #expect(c.port == 5673)
        #expect(c.virtualHost == "orders")
        #expect(c.heartbeat == .seconds(15))
        #expect(c.connectTimeout == .milliseconds(2500))
        #expect(c.brokerAddress == "rabbit.internal:5673")
    }

    @Test("missing parts take the defaults", arguments: ["amqp://localhost", "amqp://localhost/", "amqp://localhost:5672/%2F", "amqp://"])
    func defaults(url: String) throws {
        let c = try AMQPConfiguration(url: url)
        #expect(c.host == "localhost")
        #expect(c.port == 5672)
        #expect(c.user == "guest")
        #expect(c.password == "guest")
        #expect(c.virtualHost == "/")
    }

    @Test("user, password and vhost are percent-decoded")
    func percentDecoding() throws {
        let c = try AMQPConfiguration(url: "amqp://us%40er:p%3Ass%2Fw%25rd@h/%2Fprod%20eu")
        #expect(c.user == "us@er")
        #expect(c.password == "p:ss/w%rd")
        #expect(c.virtualHost == "/prod eu")
    }

    @Test("IPv6 hosts are written in brackets")
    func ipv6() throws {
        let c = try AMQPConfiguration(url: "amqp://[::1]:5680/")
        #expect(c.host == "::1")
        #expect(c.port == 5680)
        #expect(c.brokerAddress == "[::1]:5680")
    }

    @Test(
        "malformed URLs are rejected with the reason",
        arguments: [
            ("amqps://h/", "TLS"), ("http://h/", "scheme"), ("rabbit", "amqp://"), ("amqp://h:99999/", "port"),
            ("amqp://h:abc/", "port"), ("amqp://h/a/b", "segment"), ("amqp://u:p%zz@h/", "percent"),
            ("amqp://h/?heartbeat=x", "heartbeat"),
        ])
    func malformed(url: String, reason: String) {
        let error = #expect(throws: AMQPError.self) { try AMQPConfiguration(url: url) }
        #expect("\(error!)".contains(reason))
    }

    @Test("errors about a URL never show its password")
    func redaction() {
        let error = #expect(throws: AMQPError.self) { try AMQPConfiguration(url: "amqp://bob:hunter2@h:0/") }
        let text = "\(error!)"
        #expect(!text.contains("hunter2"))
        #expect(text.contains("bob:***@h:0"))
    }

    @Test("reconnect delays grow exponentially up to the cap, minus jitter")
    func backoff() {
        let policy = AMQPReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(2), multiplier: 2, jitter: 0.5)
        #expect(policy.delay(beforeAttempt: 0, random: 0) == .milliseconds(100))
        #expect(policy.delay(beforeAttempt: 1, random: 0) == .milliseconds(200))
        #expect(policy.delay(beforeAttempt: 3, random: 0) == .milliseconds(800))
        #expect(policy.delay(beforeAttempt: 10, random: 0) == .seconds(2))
        #expect(policy.delay(beforeAttempt: 1000, random: 0) == .seconds(2))
        #expect(policy.delay(beforeAttempt: 10, random: 1) == .seconds(1))
        for attempt in 0..<20 {
            let d = policy.delay(beforeAttempt: attempt)
            #expect(d >= .zero && d <= .seconds(2))
        }
    }

    @Test("tune values: the lower of two non-zero values, else the non-zero one")
    func negotiation() {
        #expect(AMQPConnection.negotiate(60, 30) == 30)
        #expect(AMQPConnection.negotiate(0, 60) == 60)
        #expect(AMQPConnection.negotiate(10, 0) == 10)
        #expect(AMQPConnection.negotiate(0, 0) == 0)
        #expect(AMQPConnection.wholeSeconds(.milliseconds(1500)) == 2)
        #expect(AMQPConnection.wholeSeconds(.zero) == 0)
    }

    @Test("error descriptions tell an operator what failed and where")
    func descriptions() {
        let refused = AMQPError.accessRefused(
            broker: "mq:5672", user: "svc", vhost: "/", reason: "ACCESS_REFUSED - Login was refused")
        #expect("\(refused)" == "broker mq:5672 refused access for user 'svc' to virtual host '/': ACCESS_REFUSED - Login was refused")
        let closed = AMQPError.channelClosed(code: 404, text: "NOT_FOUND - no exchange 'x' in vhost '/'", method: "basic.publish (60.40)")
        #expect("\(closed)" == "broker closed the channel: 404 NOT_FOUND - no exchange 'x' in vhost '/' (in reply to basic.publish (60.40))")
        #expect(closed.replyCode == 404)
        #expect("\(AMQPError.brokerUnreachable(broker: "mq:5672", reason: "connection refused"))".contains("mq:5672"))
        #expect("\(AMQPError.connectionClosed(broker: "mq:5672", code: 320, text: ""))".contains("320 CONNECTION_FORCED"))
    }
}
