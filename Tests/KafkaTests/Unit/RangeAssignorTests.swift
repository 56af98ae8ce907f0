@testable import Kafka
import NIOCore
import Testing

@Suite("Range assignor and consumer protocol")
struct RangeAssignorTests {
    @Test("partitions are cut into consecutive ranges per topic; the first members get the remainder")
    func ranges() {
        let plan = KafkaRangeAssignor.assign(
            subscriptions: ["b": ["t1", "t2"], "a": ["t1", "t2"], "c": ["t1"]],
            partitionCounts: ["t1": 7, "t2": 3])
        #expect(plan["a"] == [.init("t1", 0), .init("t1", 1), .init("t1", 2), .init("t2", 0), .init("t2", 1)])
        #expect(plan["b"] == [.init("t1", 3), .init("t1", 4), .init("t2", 2)])
        #expect(plan["c"] == [.init("t1", 5), .init("t1", 6)])
    }

    @Test("more members than partitions: the last members get nothing, but are in the plan")
    func moreMembers() {
        let plan = KafkaRangeAssignor.assign(subscriptions: ["m1": ["t"], "m2": ["t"], "m3": ["t"]], partitionCounts: ["t": 2])
        #expect(plan["m1"] == [.init("t", 0)])
        #expect(plan["m2"] == [.init("t", 1)])
        #expect(plan["m3"] == [])
    }

    @Test("subscription and assignment round-trip in the consumer protocol's v0 encoding")
    func consumerProtocol() throws {
        let subscription = ConsumerProtocol.encodeSubscription(topics: ["b", "a"])
        #expect(Array(subscription.readableBytesView) == [0, 0, 0, 0, 0, 2, 0, 1, 0x61, 0, 1, 0x62, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try ConsumerProtocol.decodeSubscription(subscription) == ["a", "b"])
        let partitions = [KafkaTopicPartition("t", 2), KafkaTopicPartition("s", 0), KafkaTopicPartition("t", 0)]
        let assignment = ConsumerProtocol.encodeAssignment(partitions)
        #expect(try ConsumerProtocol.decodeAssignment(assignment) == partitions.sorted())
        #expect(try ConsumerProtocol.decodeAssignment(ByteBuffer()) == [])
    }
}
