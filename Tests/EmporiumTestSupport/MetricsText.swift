import EmporiumKit

extension MetricsRegistry {
    /// What `/metrics` shows now for `series` (the name and labels as the exposition writes them:
    /// `emporium_dlq_messages{consumer="orders"}`), its samplers run first; nil when absent.
    public func value(_ series: String) async -> Double? {
        await sample()
        return Self.value(series, in: String(decoding: exposition(), as: UTF8.self))
    }

    /// The value of `series` in the Prometheus text `exposition` (a `/metrics` body); nil when absent.
    public static func value(_ series: String, in exposition: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }
}
