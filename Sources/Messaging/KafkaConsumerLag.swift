import Kafka
import Metrics
import Synchronization

/// `emporium_kafka_consumer_lag{consumer, partition}`: per partition a consumer's member owns,
/// how many records its group is behind (``KafkaGroupConsumer/lag``), recorded after each poll.
/// A partition the member no longer owns after a rebalance reads 0 here: its new owner reports it.
final class KafkaConsumerLag: Sendable {
    private let factory: any MetricsFactory
    /// The partitions reported so far, by consumer, with their gauges.
    private let gauges = Mutex<[String: [Int32: Gauge]]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Records `member`'s lag as `consumer`'s.
    func record(_ member: KafkaGroupConsumer, consumer: String) async {
        let lag = await member.lag
        let factory = self.factory
        let recorded = gauges.withLock { gauges in
            var mine = gauges[consumer, default: [:]]
            for partition in lag.keys where mine[partition.partition] == nil {
                mine[partition.partition] = Gauge(
                    label: "emporium_kafka_consumer_lag", dimensions: [("consumer", consumer), ("partition", String(partition.partition))], factory: factory)
            }
            gauges[consumer] = mine
            return mine
        }
        let byPartition = Dictionary(lag.map { ($0.key.partition, $0.value) }) { first, second in first + second }
        for (partition, gauge) in recorded {
            gauge.record(byPartition[partition] ?? 0)
        }
    }
}
