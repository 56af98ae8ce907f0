#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`), which bounds its connections.
public enum FileDescriptorLimit {
    /// The soft and hard limits now; nil when the system does not say.
    public static func current() -> (soft: Int, hard: Int?)? {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return nil }
        return (clamp(limit.rlim_cur) ?? Int.max, clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit where the system allows it (on macOS, at most
    /// `OPEN_MAX`), and returns the soft limit in force afterwards.
    @discardableResult
    public static func raiseSoftLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            #if canImport(Darwin)
            raised.rlim_cur = min(raised.rlim_cur, rlim_t(OPEN_MAX))
            #endif
            _ = setrlimit(resourceNoFile, &raised)
        }
        return current()?.soft
    }

    private static func clamp(_ value: rlim_t) -> Int? {
        value >= rlim_t(Int.max) ? nil : Int(value)  // RLIM_INFINITY is all ones (Linux) or Int.max (Darwin)
    }

    #if canImport(Glibc)
    private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
