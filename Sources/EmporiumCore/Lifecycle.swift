import ServiceLifecycle

/// Helpers for long-running parts of a process.
public enum Lifecycle {
    /// Suspends until graceful shutdown is requested (inside a `ServiceGroup`) or the task is
    /// cancelled (anywhere, including tests that run a service without a group).
    public static func waitForShutdown() async {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(3600))
            }
        }
    }
}
