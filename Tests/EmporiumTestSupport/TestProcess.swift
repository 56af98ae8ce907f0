import Foundation
import Synchronization

/// Runs the programs tests drive: broker control scripts (`rabbitmqctl`, `kafka-ctl`) and the
/// Python clients of the interop tests.
public enum TestProcess {
    /// Held while a process is started: Foundation's `Process.run()` on Linux crashed (a bad
    /// memcpy inside it) when two tests started processes at the same moment.
    private static let launching = Mutex(())

    /// Starts `process`, one start at a time across the whole test run. Every test that starts
    /// a program starts it through here.
    public static func launch(_ process: Process) throws {
        try launching.withLock { _ in try process.run() }
    }

    /// Runs `program` with `arguments` to its end and returns its standard output.
    ///
    /// Output goes through temporary files rather than pipes, so a program that writes much to
    /// one stream never blocks while the other is read.
    /// - Parameter mergingErrors: Whether standard error is part of the returned output (as for
    ///   `rabbitmqctl`, whose messages go to either).
    /// - Throws: `TestFailure` naming the program and its first argument, with its standard
    ///   error (or the merged output), when it exits with a non-zero status.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], mergingErrors: Bool = false) throws -> String {
        let folder = FileManager.default.temporaryDirectory
        let outputURL = folder.appendingPathComponent("test-process-\(UUID().uuidString).out")
        let errorsURL = mergingErrors ? outputURL : folder.appendingPathComponent("test-process-\(UUID().uuidString).err")
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorsURL)
        }
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let errors = mergingErrors ? output : try FileHandle(forWritingTo: errorsURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        try launch(process)
        process.waitUntilExit()
        try output.close()
        if !mergingErrors { try errors.close() }
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let errorText = mergingErrors ? text : ((try? String(contentsOf: errorsURL, encoding: .utf8)) ?? "")
            throw TestFailure("\(program) \(arguments.first ?? "") failed: \(errorText)")
        }
        return text
    }

    /// ``run(_:_:mergingErrors:)`` on a thread of its own, off the concurrency pool that the
    /// waiting would otherwise block.
    @discardableResult
    public static func runDetached(_ program: String, _ arguments: [String], mergingErrors: Bool = false) async throws -> String {
        try await Task.detached { try run(program, arguments, mergingErrors: mergingErrors) }.value
    }
}
