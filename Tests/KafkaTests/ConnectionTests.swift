@testable import Kafka
import NIOCore
import Testing

@Suite("Connection layer against a scripted broker")
struct ScriptedConnectionTests {
    @Test("ApiVersions falls back to v0 when the broker refuses v3; a late response times out alone, out-of-order answers match by correlation id, the connection stays usable")
    func timeoutsAndOrdering() async throws {
        try await withTimeout(seconds: 30) {
            let broker = try await ScriptedBroker.start(holdFirst: .milliseconds(800))
            let connection = try await KafkaBrokerConnection.connect(host: "127.0.0.1", port: broker.port, requestTimeout: .seconds(5), logger: testLogger)
            #expect(try connection.version(of: .apiVersions) == 0)
            #expect(try connection.version(of: .metadata) == 4)
            #expect(throws: KafkaError.unsupportedVersion(api: "Produce", broker: "127.0.0.1:\(broker.port)", brokerRange: nil, clientRange: 3...9)) {
                try connection.version(of: .produce)
            }

            let request = MetadataRequest(topics: [], allowAutoTopicCreation: false)
            let error = await #expect(throws: KafkaError.self) {
                try await connection.send(request, timeout: .milliseconds(200))
            }
            #expect(error == .requestTimedOut(api: "Metadata", broker: "127.0.0.1:\(broker.port)", after: .milliseconds(200)))
            // The second request is answered before the first one's late answer.
            let second = try await connection.send(request)
            #expect(second.controllerId == 1)
            try await Task.sleep(for: .milliseconds(900))  // the late answer arrives and is dropped
            #expect(connection.isOpen)
            let third = try await connection.send(request)
            #expect(third.controllerId == 1)
            await connection.close()
            await broker.stop()
        }
    }
}
