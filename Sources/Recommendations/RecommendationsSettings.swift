public import EmporiumKit

/// The recommendations service's own settings (`recommendations.*`, see `docs/configuration.md`).
public struct RecommendationsSettings: Sendable, Equatable {
    /// Popularity counts the orders of the last this many UTC days, today included
    /// (`recommendations.popularityWindowDays`).
    public var popularityWindowDays: Int
    /// How long a computed list stays in the cache at most (`recommendations.cacheTTL`,
    /// seconds). A new order containing a product, or a change to what lists show, replaces its
    /// lists at once; the TTL bounds how long the popular items that fill lists up, and scores
    /// moved by other products' orders, may lag.
    public var cacheTTL: Duration
    /// How often daily counts that left the popularity window are deleted.
    public var pruneInterval: Duration

    public static let defaults = RecommendationsSettings()

    public init(popularityWindowDays: Int = 30, cacheTTL: Duration = .seconds(60), pruneInterval: Duration = .seconds(3600)) {
        self.popularityWindowDays = popularityWindowDays
        self.cacheTTL = cacheTTL
        self.pruneInterval = pruneInterval
    }

    /// Reads the settings, each defaulting to ``defaults``.
    /// - Throws: ``ServiceSettingError`` naming a key whose value is not usable.
    public init(_ settings: ServiceSettings) throws(ServiceSettingError) {
        let defaults = Self.defaults
        self.init(
            popularityWindowDays: try settings.int("popularityWindowDays", default: defaults.popularityWindowDays, in: 1...3650),
            cacheTTL: try settings.seconds("cacheTTL", default: defaults.cacheTTL, in: 1...86_400),
            pruneInterval: defaults.pruneInterval)
    }

    /// The popularity window.
    public var window: PopularityWindow { PopularityWindow(days: popularityWindowDays) }
}
