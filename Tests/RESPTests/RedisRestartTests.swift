import Foundation
import RESP
import Testing

@Suite(
    "Server restart",
    .enabled(
        if: TestRedis.isRestartAvailable,
        "needs a restartable Redis: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\""
    )
)
struct RedisRestartTests {
    @Test("while the server is down commands fail fast with typed errors; afterwards they work again with nothing leaked")
    func restart() async throws {
        let url = try #require(TestRedis.restartURL)
        let script = try #require(TestRedis.restartScript)
        var configuration = try RedisConfiguration(url: url)
        configuration.pool.maximumConnections = 4
        // 40 concurrent pings share 4 connections: on a machine loaded by other test suites,
        // waiting for one can take longer than the default lease timeout.
        configuration.pool.leaseTimeout = .seconds(30)
        configuration.connectTimeout = .seconds(2)
        configuration.clientName = "resp-restart-test"
        let port = configuration.port

        try await withTimeout(seconds: 90) { [configuration] in
            try await withClient(configuration) { (redis) async throws in
                try await Self.concurrentPings(redis, count: 40)
                #expect(redis.poolStatistics.open >= 1)

                // Stop the server, keep it down for 3 seconds, start it again.
                let restart = try Self.run(script, arguments: ["3"])

                // Down: every command fails with a connection error, never a time-out.
                // (Polled for up to a minute: on a loaded machine the stop script itself can be slow to run.)
                let firstFailure = await poll(times: 1200) { () async -> (any Error)? in
                    do {
                        try await redis.ping()
                        return nil
                    } catch {
                        return error
                    }
                }
                let failure = try #require(firstFailure as? RedisClientError, "\(String(describing: firstFailure))")
                #expect(failure == .connectionClosed || failure == .connectionRefused(host: "127.0.0.1", port: port, reason: "connection refused"))

                // (Another pooled connection the server closed can still be the one tried: closed,
                // not refused; a connection error either way.)
                let whileDown = await #expect(throws: RedisClientError.self) { try await redis.ping() }
                #expect(whileDown == .connectionClosed || whileDown == .connectionRefused(host: "127.0.0.1", port: port, reason: "connection refused"))
                #expect(redis.poolStatistics.leased == 0)
                #expect(redis.poolStatistics.waiting == 0)

                // Back: commands succeed again without anything done to the client.
                let recovered = await poll(times: 400) { (try? await redis.ping()) == "PONG" ? true : nil }
                #expect(recovered == true)
                #expect(await restart.exitStatus() == 0)

                try await Self.concurrentPings(redis, count: 40)
                let statistics = redis.poolStatistics
                #expect(statistics.leased == 0)
                #expect((1...4).contains(statistics.open))

                // The server sees exactly the pool's connections, and this process holds no other
                // socket to it (a connection closed by the old server but never closed here would
                // linger in CLOSE_WAIT).
                let clients = try await redis.send(command: "CLIENT", args: ["LIST"]).string ?? ""
                let ours = clients.split(separator: "\n").filter { $0.contains(" name=resp-restart-test ") }
                #expect(ours.count == statistics.open)
                #if os(Linux)
                // A socket being closed can take a moment to leave the table: poll (up to 10 s)
                // before calling it a leak.
                let open = statistics.open
                let settled = await poll(times: 200) { () async -> Bool? in
                    ((try? Self.sockets(connectedToPort: port))?.count == open) ? true : nil
                }
                let sockets = try Self.sockets(connectedToPort: port)
                #expect(settled == true, "\(sockets)")
                #endif
            }
        }
    }

    private static func concurrentPings(_ redis: RedisClient, count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask { try await redis.ping() }
            }
            try await group.waitForAll()
        }
    }

    /// A child process started with `posix_spawn`, with a clean signal mask (so the servers it
    /// starts can be stopped with signals whatever this test process blocks).
    private struct ChildProcess: Sendable {
        let pid: pid_t

        /// Waits (politely, by polling) for the process to exit and returns its exit status, or
        /// `nil` if it had not exited within the polling bound.
        func exitStatus() async -> Int32? {
            await poll(times: 600) { () async -> Int32? in
                var status: Int32 = 0
                guard waitpid(self.pid, &status, WNOHANG) == self.pid else { return nil }
                return (status >> 8) & 0xFF
            }
        }
    }

    private static func run(_ executable: String, arguments: [String]) throws -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = (["/bin/bash", executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = (argv + [nil]).withUnsafeBufferPointer { pointer in
            posix_spawn(&pid, "/bin/bash", nil, &attributes, UnsafeMutablePointer(mutating: pointer.baseAddress!), environ)
        }
        guard result == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL)
        }
        return ChildProcess(pid: pid)
    }

    #if os(Linux)
    /// Reads a /proc file to its end (its size is reported as 0, so Foundation's readers may stop
    /// after the first page).
    private static func readProcFile(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Inodes of the sockets this process holds open (from the `socket:[inode]` links in
    /// /proc/self/fd).
    private static func socketInodesOfThisProcess() -> Set<Substring> {
        let directory = "/proc/self/fd"
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var inodes = Set<Substring>()
        for descriptor in descriptors {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(descriptor)"),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(Substring(target.dropFirst("socket:[".count).dropLast()))
        }
        return inodes
    }

    /// TCP sockets held by this process, connected to `port` on loopback and not yet fully
    /// closed (anything but TIME_WAIT), from /proc/net/tcp. Sockets of other processes (the
    /// `redis-cli` of the restart script, say) are not counted: they are not ours to leak.
    private static func sockets(connectedToPort port: Int) throws -> [Substring] {
        let table = try Self.readProcFile("/proc/net/tcp")
        let ours = Self.socketInodesOfThisProcess()
        let portHex = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            guard fields.count > 9 else { return false }
            let remote = fields[2]
            let state = fields[3]
            let inode = fields[9]
            return remote.hasSuffix(portHex) && state != "06" && ours.contains(inode)
        }
    }
    #endif
}
