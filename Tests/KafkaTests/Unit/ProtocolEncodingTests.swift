@testable import Kafka
import NIOCore
import Testing

@Suite("Protocol encoding")
struct ProtocolEncodingTests {
    private func encode<Request: KafkaRequest>(_ request: Request, version: Int16) -> [UInt8] {
        var writer = KafkaWriter(flexible: Request.api.isFlexible(version))
        request.encode(into: &writer, version: version)
        return Array(writer.buffer.readableBytesView)
    }

    @Test("Metadata v12 (flexible): compact array and strings, null topic id, tagged-field sections")
    func metadataFlexible() {
        let bytes = encode(MetadataRequest(topics: ["ab"], allowAutoTopicCreation: false), version: 12)
        #expect(bytes == [
            0x02,  // compact array: 1 topic
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // topic_id (null UUID)
            0x03, 0x61, 0x62,  // compact string "ab"
            0x00,  // topic tagged fields
            0x00,  // allow_auto_topic_creation
            0x00,  // include_topic_authorized_operations
            0x00,  // request tagged fields
        ])
    }

    @Test("Metadata v4 (classic): INT32 array count, INT16 string length, no tagged fields")
    func metadataClassic() {
        #expect(encode(MetadataRequest(topics: ["ab"], allowAutoTopicCreation: true), version: 4) == [0, 0, 0, 1, 0, 2, 0x61, 0x62, 1])
        // A null topic list (every topic) is -1 classic, 0 compact.
        #expect(encode(MetadataRequest(topics: nil, allowAutoTopicCreation: false), version: 4) == [0xFF, 0xFF, 0xFF, 0xFF, 0])
        // v9 also has include_cluster_authorized_operations (v8–v10).
        #expect(encode(MetadataRequest(topics: nil, allowAutoTopicCreation: false), version: 9) == [0, 0, 0, 0, 0])
        #expect(encode(MetadataRequest(topics: nil, allowAutoTopicCreation: false), version: 11) == [0, 0, 0, 0])
    }

    @Test("ApiVersions v3 names the client software in compact strings; v0 has an empty body")
    func apiVersions() {
        let bytes = encode(ApiVersionsRequest(clientSoftwareName: "x", clientSoftwareVersion: "1"), version: 3)
        #expect(bytes == [0x02, 0x78, 0x02, 0x31, 0x00])
        #expect(encode(ApiVersionsRequest(), version: 0).isEmpty)
    }

    @Test("the request header is v2 (tagged fields) for flexible versions, v1 otherwise; ApiVersions answers with header v0")
    func headerVersions() {
        #expect(KafkaAPI.metadata.requestHeaderVersion(12) == 2)
        #expect(KafkaAPI.metadata.requestHeaderVersion(8) == 1)
        #expect(KafkaAPI.metadata.responseHeaderIsFlexible(12))
        #expect(!KafkaAPI.apiVersions.responseHeaderIsFlexible(3))
        #expect(KafkaAPI.apiVersions.requestHeaderVersion(3) == 2)
    }

    @Test("unknown tagged fields are skipped by their size; out-of-order tags are refused")
    func taggedFields() throws {
        // A flexible Heartbeat v4 response: throttle 0, error 27, then 2 tagged fields.
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 0, 27, 0x02, 0x00, 0x03, 0xAA, 0xBB, 0xCC, 0x05, 0x01, 0xDD])
        buffer.writeBytes([0x99])  // a following field must still be readable
        var reader = KafkaReader(buffer: buffer, flexible: true, api: "Heartbeat")
        #expect(try reader.int32() == 0)
        #expect(try reader.int16() == 27)
        let fields = try reader.taggedFields()
        #expect(fields.keys.sorted() == [0, 5])
        #expect(fields[0].map { Array($0.readableBytesView) } == [0xAA, 0xBB, 0xCC])
        #expect(try reader.int8() == Int8(bitPattern: 0x99))

        var bad = KafkaReader(buffer: ByteBuffer(bytes: [0x02, 0x05, 0x00, 0x01, 0x00]), flexible: true, api: "X")
        #expect(throws: KafkaError.self) { try bad.taggedFields() }
        var short = KafkaReader(buffer: ByteBuffer(bytes: [0x01, 0x00, 0x09, 0x01]), flexible: true, api: "X")
        #expect(throws: KafkaError.self) { try short.taggedFields() }
    }

    @Test("a flexible response decodes: Heartbeat v4 with a tagged field after the error code")
    func decodeFlexibleResponse() throws {
        var reader = KafkaReader(buffer: ByteBuffer(bytes: [0, 0, 0, 5, 0, 25, 0x01, 0x07, 0x01, 0x00]), flexible: true, api: "Heartbeat")
        #expect(try HeartbeatRequest.decode(from: &reader, version: 4) == .unknownMemberId)
    }

    @Test("negotiation picks the highest version both sides support, and refuses when the ranges do not meet")
    func negotiation() throws {
        let versions = KafkaNegotiatedVersions(brokerRanges: [
            KafkaAPI.metadata.key: 0...12, KafkaAPI.fetch.key: 0...8, KafkaAPI.produce.key: 0...2, KafkaAPI.apiVersions.key: 0...4,
        ])
        #expect(try versions.version(of: .metadata, broker: "b:1") == 12)
        #expect(try versions.version(of: .fetch, broker: "b:1") == 8)
        #expect(try versions.version(of: .apiVersions, broker: "b:1") == 3)
        #expect(throws: KafkaError.unsupportedVersion(api: "Produce", broker: "b:1", brokerRange: 0...2, clientRange: 3...9)) {
            try versions.version(of: .produce, broker: "b:1")
        }
        #expect(throws: KafkaError.self) { try versions.version(of: .joinGroup, broker: "b:1") }
    }

    @Test("error codes: names, raw values, retriable flags, unknown codes kept")
    func errorCodes() {
        #expect(KafkaErrorCode(rawValue: 6) == .notLeaderOrFollower)
        #expect(KafkaErrorCode.notLeaderOrFollower.name == "NOT_LEADER_OR_FOLLOWER")
        #expect(KafkaErrorCode.notLeaderOrFollower.isRetriable)
        #expect(!KafkaErrorCode.topicAlreadyExists.isRetriable)
        #expect(KafkaErrorCode(rawValue: 0) == .noError)
        #expect(KafkaErrorCode(rawValue: -1) == .unknownServerError)
        #expect(KafkaErrorCode(rawValue: 27).description == "REBALANCE_IN_PROGRESS (27)")
        #expect(KafkaErrorCode(rawValue: 999) == .unknown(999))
        #expect(KafkaErrorCode(rawValue: 999).rawValue == 999)
        for raw in Int16(-1)...120 {
            #expect(KafkaErrorCode(rawValue: raw).rawValue == raw)
        }
        let error = KafkaError.broker(code: .leaderNotAvailable, context: "partition t/0", message: nil)
        #expect(error.isRetriable)
        #expect(error.description == "Kafka broker error LEADER_NOT_AVAILABLE (5) for partition t/0")
    }

    @Test("URLs: several brokers, default port, query parameters, bad input refused")
    func urls() throws {
        let configuration = try KafkaConfiguration(url: "kafka://a:1,b,[::1]:3/?client_id=shop&request_timeout_ms=2500")
        #expect(configuration.bootstrapServers == [KafkaBrokerAddress(host: "a", port: 1), KafkaBrokerAddress(host: "b", port: 9092), KafkaBrokerAddress(host: "::1", port: 3)])
        #expect(configuration.clientId == "shop")
        #expect(configuration.requestTimeout == .milliseconds(2500))
        #expect(try KafkaConfiguration(url: "127.0.0.1:9").bootstrapServers.first?.description == "127.0.0.1:9")
        #expect(throws: KafkaError.self) { try KafkaConfiguration(url: "http://a:1") }
        #expect(throws: KafkaError.self) { try KafkaConfiguration(url: "kafka://a:notaport") }
        #expect(throws: KafkaError.self) { try KafkaConfiguration(url: "kafka://") }
    }

    @Test("the partitioner hashes keys with murmur2 as Kafka's Java client does")
    func murmur2() {
        func hash(_ text: String) -> Int32 {
            Int32(bitPattern: Array(text.utf8).withUnsafeBytes { KafkaPartitioner.murmur2($0) })
        }
        // Values from Kafka's own tests of Utils.murmur2.
        #expect(hash("21") == -973_932_308)
        #expect(hash("foobar") == -790_332_482)
        #expect(hash("a-little-bit-long-string") == -985_981_536)
        #expect(hash("a-little-bit-longer-string") == -1_486_304_829)
        #expect(hash("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58_897_971)
        #expect(hash("abc") == 479_470_107)
    }

    @Test("backoff doubles from the initial delay up to the cap; jitter only shortens")
    func backoff() {
        let backoff = KafkaBackoff(initialDelay: .milliseconds(100), maxDelay: .seconds(1), multiplier: 2, jitter: 0.5)
        #expect(backoff.delay(attempt: 0, random: 0) == .milliseconds(100))
        #expect(backoff.delay(attempt: 2, random: 0) == .milliseconds(400))
        #expect(backoff.delay(attempt: 10, random: 0) == .seconds(1))
        #expect(backoff.delay(attempt: 10, random: 1) == .milliseconds(500))
    }
}

@Suite("Metadata staleness")
struct MetadataStalenessTests {
    @Test("leadership errors make the client look the leader up again; other errors do not")
    func staleCodes() {
        for code in [KafkaErrorCode.notLeaderOrFollower, .unknownTopicOrPartition, .leaderNotAvailable, .fencedLeaderEpoch] {
            #expect(KafkaClient.isStaleMetadata(code), "\(code)")
        }
        for code in [KafkaErrorCode.noError, .offsetOutOfRange, .topicAlreadyExists, .rebalanceInProgress] {
            #expect(!KafkaClient.isStaleMetadata(code), "\(code)")
        }
    }
}
