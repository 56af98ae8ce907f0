import ServiceLifecycle

/// Lets a `ServiceGroup` own the connection: it stays open until graceful shutdown (or
/// cancellation) and is then closed.
extension AMQPConnection: Service {
    /// Waits for graceful shutdown, then closes the connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.close()
    }
}
