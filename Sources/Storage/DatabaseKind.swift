/// The SQL engine behind a ``Database``; stores use it where the two dialects differ.
public enum DatabaseKind: String, Sendable, CaseIterable {
    case postgres
    case sqlite
}
