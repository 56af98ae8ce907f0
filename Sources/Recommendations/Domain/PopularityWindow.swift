public import Foundation

/// The sliding window popularity is counted over: whole UTC days, the current one included.
///
/// Purchases are counted per product and day (a time bucket); a day leaves the window, and with
/// it its purchases, when it is more than ``days`` days old, so no purchase needs to be visited
/// again to make it fall out.
public struct PopularityWindow: Sendable, Equatable {
    /// How many days the window spans, today included (`recommendations.popularityWindowDays`).
    public var days: Int

    public init(days: Int) {
        precondition(days >= 1, "a popularity window spans at least one day")
        self.days = days
    }

    /// The day of `date`: whole days since 1970-01-01 UTC.
    public static func day(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The oldest day still inside the window at `now`.
    public func firstDay(now: Date) -> Int64 {
        Self.day(of: now) - Int64(days) + 1
    }

    /// Whether purchases of `day` count at `now` (days after `now`, a clock ahead of ours, count too).
    public func contains(day: Int64, now: Date) -> Bool {
        day >= firstDay(now: now)
    }
}
