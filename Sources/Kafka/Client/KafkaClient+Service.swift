import ServiceLifecycle

/// Lets a `ServiceGroup` own the client: it stays usable until graceful shutdown (or
/// cancellation) and is then closed.
extension KafkaClient: Service {
    /// Waits for graceful shutdown, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.close()
    }
}
