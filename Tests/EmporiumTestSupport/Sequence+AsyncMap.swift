extension Sequence {
    /// The results of `transform` on each element, in order, one after the other.
    public func asyncMap<Mapped>(_ transform: (Element) async throws -> Mapped) async rethrows -> [Mapped] {
        var results: [Mapped] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
