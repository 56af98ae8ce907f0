import EmporiumTestSupport
import Foundation
import RESP

/// A `redis-server` of this test's own, on a free port, that the test stops and starts again.
///
/// The restartable server of `scripts/services/redis.sh` is used by the RESP module's restart
/// test, which runs in the same test process; restarting it from a second test would break
/// whichever of the two runs at that moment. Needs `redis-server` on the PATH (installed wherever
/// the test servers run).
final class PrivateRedisServer: Sendable {
    let port: Int
    let directory: URL

    var url: String { "redis://127.0.0.1:\(port)" }

    struct StartFailed: Error, CustomStringConvertible {
        var description: String
    }

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// Starts a server on the first free port found.
    static func start() async throws -> PrivateRedisServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-cache-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for _ in 0..<20 {
            let server = PrivateRedisServer(port: Int.random(in: 20_000..<60_000), directory: directory)
            if try await server.launch() { return server }
        }
        throw StartFailed(description: "redis-server did not start on any of 20 ports")
    }

    /// Starts the server again on its port (after ``stop()``).
    func restart() async throws {
        guard try await launch() else { throw StartFailed(description: "redis-server did not start again on port \(port)") }
    }

    /// Stops the server (`SHUTDOWN NOSAVE`) and waits until it no longer answers.
    func stop() async {
        if let connection = try? await RedisConnection.connect(configuration: RedisConfiguration(port: port)) {
            _ = try? await connection.send(command: "SHUTDOWN", args: ["NOSAVE"])
            await connection.close()
        }
        for _ in 0..<200 where await answers() {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Stops the server and removes its folder.
    func remove() async {
        await stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `redis-server --daemonize yes` and waits until it answers; false if it did not (the
    /// port was taken).
    private func launch() async throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // The daemon would keep every descriptor it inherits (this process's sockets): close all
        // but stdio first, as scripts/services/redis.sh does.
        process.arguments = [
            "-c",
            """
            for fd_path in /proc/$$/fd/*; do fd=${fd_path##*/}; [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null; done
            exec redis-server --port "$1" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no --dir "$2" --logfile "$2/redis.log"
            """,
            "redis-server", "\(port)", directory.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try TestProcess.launch(process)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return false }
        for _ in 0..<200 {
            if await answers() { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    /// Whether *this* server answers (its `dir` is ours, so not another test's server that
    /// took the port).
    private func answers() async -> Bool {
        guard let connection = try? await RedisConnection.connect(configuration: RedisConfiguration(port: port)) else { return false }
        let reply = try? await connection.send(command: "CONFIG", args: ["GET", "dir"])
        await connection.close()
        let directoryPath = directory.resolvingSymlinksInPath().path
        return reply?.mapEntries?.first?.value.string.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == directoryPath } ?? false
    }
}
