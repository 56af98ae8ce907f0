import EmporiumCore
import AMQP
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Messaging
import NIOCore
import NIOFoundationCompat
import SQLKit
import Security
import Storage
import Testing

/// The event backbone as the running platform uses it: catalog writes go through the outbox to
/// the transport, and readiness reports the broker.
@Suite("Platform events")
struct EventWiringTests {
    static let amqpURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_AMQP_URL"]

    @Test("broker.eventsPerMessage: 256 by default, EMPORIUM_BROKER_EVENTS_PER_MESSAGE sets it, 0 is refused naming the key")
    func eventsPerMessageSetting() async throws {
        func settings(_ flags: [String: String], environment: [String: String] = [:]) async throws -> RuntimeSettings {
            try RuntimeSettings(config: try await ConfigurationLoader.reader(flags: flags, environment: environment, file: nil), serviceNames: ["catalog"])
        }
        #expect(try await settings([:]).brokerEventsPerMessage == 256)
        #expect(try await settings([:], environment: ["EMPORIUM_BROKER_EVENTS_PER_MESSAGE": "1"]).brokerEventsPerMessage == 1)
        let error = await #expect(throws: ConfigurationError.self) { try await settings(["broker.eventsPerMessage": "0"]) }
        #expect(error?.key == "broker.eventsPerMessage")
    }

    /// Creates a product through the API; returns its id.
    static func createProduct(_ client: any TestClientProtocol) async throws -> String {
        let category = try await CatalogAPIContract.firstCategory(client)
        let sku = "EVT-\(String(UInt32.random(in: 0...UInt32.max), radix: 36).uppercased())"
        return try await client.execute(
            uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
            body: ByteBuffer(string: CatalogAPIContract.validProduct(sku: sku, categoryId: category))
        ) { response in
            #expect(response.status == .created)
            return response.json["id"] as? String ?? ""
        }
    }

    /// Outbox rows of the catalog about `subject` (the demo catalog's seeding records an event
    /// per product too): (type, subject, sent).
    static func outbox(_ platform: EmporiumPlatform, subject: String) async throws -> [(type: String, subject: String, sent: Bool)] {
        let database = try #require(platform.databases["catalog"])
        return try await database.withConnection { sql in
            try await sql.raw("SELECT type, payload, sent_at FROM emporium_outbox WHERE service = 'catalog' ORDER BY sequence").all().map { row in
                let payload = try row.decode(column: "payload", as: String.self)
                let event = try CloudEvent.decode(Data(payload.utf8))
                return (try row.decode(column: "type", as: String.self), event.subject ?? "", try row.decodeNil(column: "sent_at") == false)
            }
        }.filter { $0.subject == subject }
    }

    @Test("embedded: created, updated and deleted products go through the outbox and are marked sent")
    func embeddedOutbox() async throws {
        try await TestPlatform.withClient(.sqlite, extra: ["seed.demo": "true"]) { client, platform throws in
            let id = try await Self.createProduct(client)
            try await client.execute(
                uri: "/v1/products/\(id)", method: .patch, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(string: #"{"name":"Event Boot II"}"#)
            ) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/products/\(id)", method: .delete, headers: TestPlatform.writerHeaders()) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/v1/products/\(id)", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/products/\(id)", method: .delete, headers: TestPlatform.writerHeaders()) { response in
                #expect(response.status == .notFound, "a second delete finds nothing and records nothing")
            }
            var rows: [(type: String, subject: String, sent: Bool)] = []
            for _ in 0..<1_200 {
                rows = try await Self.outbox(platform, subject: id)
                if rows.count == 3 && rows.filter(\.sent).count == 3 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(rows.map(\.type) == ["catalog.product.created", "catalog.product.updated", "catalog.product.deleted"])
            #expect(rows.map(\.subject) == [id, id, id])
            #expect(rows.filter(\.sent).count == 3, "the relay published all three")
            // The catalog's own consumer (its search read model) applied them; /metrics says so.
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"emporium_events_consumed_total{consumer="catalog"}"#), "\(metrics.prefix(2000))")
            #expect(metrics.contains(#"emporium_events_consumed_batch_size_bucket{consumer="catalog",le="64.0"}"#))
        }
    }

    @Test("an unreachable broker: readiness is 503 naming the broker, writes still succeed and their events wait in the outbox")
    func unreachableBroker() async throws {
        try await TestPlatform.withClient(.sqlite, extra: ["broker.url": "amqp://guest:guest@127.0.0.1:1/"]) { client, platform throws in
            var broker: [String: Any]?
            for _ in 0..<100 {
                broker = try await client.execute(uri: "/health/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    return (response.json["checks"] as? [String: [String: Any]])?["broker"]
                }
                if (broker?["error"] as? String)?.contains("not connected yet") == false { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(broker?["status"] as? String == "down")
            #expect((broker?["error"] as? String)?.contains("127.0.0.1:1") == true, "\(String(describing: broker))")
            let id = try await Self.createProduct(client)
            try await Task.sleep(for: .milliseconds(300))
            let rows = try await Self.outbox(platform, subject: id)
            #expect(rows.map(\.subject) == [id])
            #expect(rows.filter(\.sent).isEmpty)
        }
    }

    @Test("with RabbitMQ: readiness reports the broker up and a created product reaches a queue bound to its event type",
          .enabled(if: amqpURL != nil, "needs RabbitMQ (EMPORIUM_TEST_AMQP_URL)"))
    func catalogPublishesThroughRabbitMQ() async throws {
        let url = try #require(Self.amqpURL)
        try await BrokerGate.shared.shared(limit: .seconds(240)) {
            // A listener of our own, bound before the product is created.
            let connection = try await AMQPConnection.connect(url: url)
            let channel = try await connection.openChannel()
            let queue = "test.catalog-events.\(UInt32.random(in: 0...UInt32.max))"
            try await channel.declareExchange(RabbitMQTransport.exchange, type: .topic, durable: true)
            try await channel.declareQueue(queue, durable: false, exclusive: true)
            try await channel.bindQueue(queue, exchange: RabbitMQTransport.exchange, routingKey: "catalog.product.*")
            defer { Task { await connection.close() } }

            try await TestPlatform.withClient(.sqlite, extra: ["broker.url": url]) { client, _ throws in
                var status: HTTPResponse.Status = .serviceUnavailable
                for _ in 0..<1_200 where status != .ok {
                    status = try await client.execute(uri: "/health/ready", method: .get) { $0.status }
                    if status != .ok { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(status == .ok)
                let id = try await Self.createProduct(client)
                // Other tests may create products through the same broker meanwhile: skip theirs.
                // The relay publishes the demo catalog's 240 events before this one, several
                // of one type to a message (`broker.eventsPerMessage`): on a loaded machine the
                // new product's event can share a message with the last of them.
                var received: (delivery: AMQPDelivery, event: CloudEvent)?
                let deadline = ContinuousClock.now + .seconds(120)
                while received == nil, ContinuousClock.now < deadline {
                    if let delivery = try await channel.get(queue: queue) {
                        try await delivery.ack()
                        if let event = try RabbitMQTransport.events(of: delivery).first(where: { $0.subject == id }) {
                            received = (delivery, event)
                        }
                    } else {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                let (delivery, event) = try #require(received, "the ProductCreated event reached the queue")
                #expect(delivery.routingKey == "catalog.product.created")
                #expect(event.type == "catalog.product.created")
                #expect(event.source == "/emporium/catalog")
                #expect(event.subject == id)
                #expect(event.data["name"] == .string("Trail Runner"))
                #expect(delivery.properties.deliveryMode == .persistent)
            }
        }
    }
}

/// Two instances of the catalog on one database and one broker, as two pods would run.
@Suite("Cache invalidation across instances")
struct CrossInstanceCacheTests {
    @Test("a product changed or deleted through one instance is no longer served from the other's cache",
          .enabled(if: EventWiringTests.amqpURL != nil, "needs RabbitMQ (EMPORIUM_TEST_AMQP_URL)"))
    func productEventsInvalidateOtherInstances() async throws {
        let amqp = try #require(EventWiringTests.amqpURL)
        try await BrokerGate.shared.shared {
            let (url, cleanup) = try await TestDatabases.makeURL(TestDatabases.postgresEnabled ? .postgres : .sqlite)
            defer { Task { await cleanup() } }
            // The in-process level keeps entries for five minutes: within this test only an
            // event can take a stale product out of it.
            let extra = ["broker.url": amqp, "cache.l1TTL": "300", "seed.demo": "true"]
            let first = try await EmporiumPlatform.build(settings: try await TestPlatform.settings(database: url, extra: extra), logger: TestDatabases.logger)
            let second = try await EmporiumPlatform.build(settings: try await TestPlatform.settings(database: url, extra: extra), logger: TestDatabases.logger)
            try await first.application.test(.router) { reader throws in
                try await second.application.test(.router) { writer throws in
                    for client in [reader, writer] {
                        var status: HTTPResponse.Status = .serviceUnavailable
                        for _ in 0..<1_200 where status != .ok {
                            status = try await client.execute(uri: "/health/ready", method: .get) { $0.status }
                            if status != .ok { try await Task.sleep(for: .milliseconds(50)) }
                        }
                        #expect(status == .ok)
                    }
                    let authorization = try await TestPlatform.authorization(second, roles: [.catalogManager])
                    try await TestPlatform.$writerAuthorization.withValue(authorization) {
                        let id = try await EventWiringTests.createProduct(writer)
                        let name = { @Sendable () async throws -> String? in
                            try await reader.execute(uri: "/v1/products/\(id)", method: .get) { response in
                                response.status == .ok ? response.json["name"] as? String : nil
                            }
                        }
                        #expect(try await name() == "Trail Runner")  // now in the reader's cache

                        try await writer.execute(
                            uri: "/v1/products/\(id)", method: .patch, headers: TestPlatform.writerHeaders(),
                            body: ByteBuffer(string: #"{"name":"Trail Runner II"}"#)
                        ) { #expect($0.status == .ok) }
                        var seen = try await name()
                        for _ in 0..<600 where seen != "Trail Runner II" {
                            try await Task.sleep(for: .milliseconds(50))
                            seen = try await name()
                        }
                        #expect(seen == "Trail Runner II", "the update event cleared the reader's cached copy")

                        try await writer.execute(uri: "/v1/products/\(id)", method: .delete, headers: TestPlatform.writerHeaders()) { #expect($0.status == .noContent) }
                        var gone = false
                        for _ in 0..<600 where !gone {
                            gone = try await name() == nil
                            if !gone { try await Task.sleep(for: .milliseconds(50)) }
                        }
                        #expect(gone, "the delete event cleared the reader's cached copy")
                    }
                }
            }
        }
    }
}
