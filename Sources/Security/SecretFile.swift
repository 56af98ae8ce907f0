public import Foundation

/// A file of the data directory that holds a secret: written with permissions 0600, atomically
/// (a temporary file, then renamed or linked into place), so a process starting at the same time
/// never reads half of it.
public enum SecretFile {
    /// Writes `data` to `path` with permissions 0600: to a temporary file first, then renamed over
    /// `path` (or, with `replacing` false, linked only if `path` does not exist yet: a file already
    /// there wins).
    /// - Throws: ``KeyFileError`` when the directory or file cannot be written.
    public static func write(_ data: Data, to path: String, replacing: Bool) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        let temporary = "\(path).\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw KeyFileError(path: path, reason: "cannot create \(temporary)")
        }
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if replacing {
            guard rename(temporary, path) == 0 else { throw KeyFileError(path: path, reason: "cannot replace it (errno \(errno))") }
        } else if link(temporary, path) != 0, errno != EEXIST {
            throw KeyFileError(path: path, reason: "cannot create it (errno \(errno))")
        }
    }

    /// The base64 secret in the file at `path`, or when there is none, `generate()`'s written
    /// there first (whatever another process wrote first wins).
    /// - Throws: ``KeyFileError`` when the file cannot be read, holds no base64, or cannot be written.
    public static func loadOrCreateBase64(at path: String, generate: () -> Data) throws -> Data {
        if let existing = try loadBase64(at: path) { return existing }
        try write(Data(generate().base64EncodedString().utf8), to: path, replacing: false)
        guard let written = try loadBase64(at: path) else { throw KeyFileError(path: path, reason: "it vanished after being written") }
        return written
    }

    private static func loadBase64(at path: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: text) else { throw KeyFileError(path: path, reason: "it does not hold a base64 secret") }
        return data
    }
}
