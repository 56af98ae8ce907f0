import Metrics

/// `notifications_deliveries_total{channel, outcome}` (outcome `sent`, `retried`, `failed`,
/// `dead`) and `notifications_delivery_duration_seconds{channel}`.
struct DeliveryMetrics: Sendable {
    let factory: any MetricsFactory

    func record(_ channel: NotificationChannel, outcome: String, duration: Duration) {
        Counter(label: "notifications_deliveries_total", dimensions: [("channel", channel.rawValue), ("outcome", outcome)], factory: factory)
            .increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: "notifications_delivery_duration_seconds", dimensions: [("channel", channel.rawValue)], factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
