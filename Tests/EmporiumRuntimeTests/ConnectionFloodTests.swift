import EmporiumKit
import EmporiumTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `emporium serve` started as a user would, under a descriptor limit, with its log read for the
/// port and limits, and its CPU time read from `/proc` (Linux).
final class ServedBinary {
    let process: Process
    let directory: URL
    /// The port it listens on.
    let port: Int
    /// The `max_connections` of its `http server limits` log line.
    let maxConnections: Int

    private init(process: Process, directory: URL, port: Int, maxConnections: Int) {
        self.process = process
        self.directory = directory
        self.port = port
        self.maxConnections = maxConnections
    }

    /// Starts `emporium serve --port <port>` (0: any free port) with `arguments` on a data folder
    /// (a fresh one unless `directory` is given) with its soft and hard
    /// `RLIMIT_NOFILE` set to `descriptors` (`ulimit -n` in `sh` sets both; `exec` keeps the pid),
    /// or the soft one to `soft` when given,
    /// and waits (at most 60 s) for its `emporium listening` line.
    static func start(
        descriptors: Int = 4096, soft: Int? = nil, environment: [String: String] = [:], arguments: [String] = [], port: Int = 0,
        directory: URL? = nil
    ) async throws -> ServedBinary {
        let directory = try directory ?? CommandLineTests.temporaryDirectory()
        let output = directory.appendingPathComponent("stdout")
        let errors = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "ulimit -n \(descriptors) && ulimit -S -n \(soft ?? descriptors) && exec \"$0\" serve --port \(port) --data-dir \"$@\"",
            CommandLineTests.binary.path, directory.appendingPathComponent("data").path,
        ] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["EMPORIUM_LOG_FORMAT": "json"]) { given, _ in given }) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try TestProcess.launch(process)

        var port: Int?
        var maxConnections: Int?
        var log = ""
        for _ in 0..<600 where port == nil && process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            for line in log.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                switch object["message"] as? String {
                case "emporium listening":
                    port = (object["url"] as? String).flatMap(URL.init(string:))?.port
                case "http server limits":
                    maxConnections = (object["max_connections"] as? String).flatMap { Int($0) } ?? object["max_connections"] as? Int
                default:
                    break
                }
            }
        }
        guard let port, let maxConnections else {
            if process.isRunning { process.terminate() }
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: directory)
            throw ServedBinaryError(description: "no listening or limits line in: \(log)\(stderr)")
        }
        return ServedBinary(process: process, directory: directory, port: port, maxConnections: maxConnections)
    }

    /// Stops the process (SIGTERM; SIGKILL when it has not exited 20 s later, so that a process
    /// whose shutdown hangs cannot hang the tests) and removes its folder unless `keepingData`.
    ///
    /// It waits on the calling thread, in steps of 20 ms, never without a bound: a test runner
    /// has as many threads as cores, and an unbounded wait on each would stop every test.
    func stop(keepingData: Bool = false) {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            var waited = 0
            while process.isRunning, waited < 1_000 {
                usleep(20_000)
                waited += 1
            }
            if process.isRunning {
                FileHandle.standardError.write(Data("emporium (pid \(process.processIdentifier)) did not stop within 20 s of SIGTERM: killed\n".utf8))
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
        if !keepingData { try? FileManager.default.removeItem(at: directory) }
    }

    /// The process's standard output so far.
    var log: String { (try? String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8)) ?? "" }

    /// The process's `Max open files` soft and hard limits, from `/proc/PID/limits`.
    func descriptorLimits() throws -> (soft: Int, hard: Int)? {
        let limits = try String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
        guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
    }

    /// The CPU time (user and system) the process has used, from `/proc/PID/stat`.
    func cpuTime() throws -> Duration {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
        // utime 14 and stime 15, in clock ticks.
        guard let nameEnd = stat.lastIndex(of: ")") else { throw ServedBinaryError(description: "unreadable stat: \(stat)") }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw ServedBinaryError(description: "unreadable stat: \(stat)")
        }
        let ticks = user + system
        return .milliseconds(ticks * 1000 / sysconf(Int32(_SC_CLK_TCK)))
    }
}

struct ServedBinaryError: Error, CustomStringConvertible {
    var description: String
}

/// Issue 15 as reported, against the real binary: idle and slow clients under a 1,024
/// file-descriptor limit (Linux: reads `/proc`).
@Suite("emporium under connection floods", .serialized)
struct ConnectionFloodTests {
    /// Opens `count` connections, `batch` at a time.
    static func connect(_ count: Int, port: Int, batch: Int = 50) async throws -> [RawConnection] {
        var connections: [RawConnection] = []
        while connections.count < count {
            let size = min(batch, count - connections.count)
            connections += try await withThrowingTaskGroup(of: RawConnection.self) { group in
                for _ in 0..<size { group.addTask { try await RawConnection.connect(port: port) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        return connections
    }

    /// Waits (at most `bound`) until `condition` holds; whether it did.
    static func eventually(within bound: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + bound
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    /// Asks `/health/live` on a new connection; everything the server sent (status line, headers,
    /// body), or nil when nothing came within 10 s (or the connection could not be made).
    static func probe(port: Int) async -> String? {
        guard let connection = try? await RawConnection.connect(port: port) else { return nil }
        // Over the limit the 503 comes unasked and the connection closes, maybe before the
        // request is sent: then `get` finds no answer of its own but the 503 is in `text`.
        _ = try? await connection.get("/health/live", within: .seconds(10))
        await connection.close()
        return connection.text.isEmpty ? nil : connection.text
    }

    /// 1,100 idle connections against a server limited to 1,024 descriptors: the ones beyond
    /// `http.maxConnections` get a 503 problem and are closed, `/health/live` on a new connection
    /// is answered (a 503 problem while full, 200 once a connection is freed) instead of hanging,
    /// the server does not spin while they are open, and those that never send a byte are closed
    /// by the head timeout (default 10 s).
    @Test func idleConnectionsDoNotStarveTheServer() async throws {
        // Alone: the cluster tests' processes would slow the 1,100 connections past the head timeout.
        try await BrokerGate.processes.exclusive { try await Self.flood() }
    }

    static func flood() async throws {
        try #require((FileDescriptorLimit.raiseSoftLimit() ?? 0) >= 2_048, "the test needs 1,100 descriptors of its own")
        // No demo data: its seeding's events (applied by the catalog and the inventory just after
        // start-up) would compete with the flood for the process's time, and the first idle
        // connections could meet the head timeout before all 1,100 are open on a busy machine.
        // For the same reason the head timeout is 30 s rather than the default 10: on a loaded
        // 2-core machine opening 1,100 connections took longer than 10 s, and idle connections
        // closed by the timeout were counted as refused.
        let server = try await ServedBinary.start(
            descriptors: 1024, environment: ["EMPORIUM_SEED_DEMO": "false", "EMPORIUM_HTTP_REQUEST_HEAD_TIMEOUT": "30"])
        defer { server.stop() }
        let limits = try #require(try server.descriptorLimits())
        #expect(limits.soft == 1024 && limits.hard == 1024, "\(limits)")
        #expect(server.maxConnections == 896, "the default limit leaves 128 descriptors for the rest")

        let connections = try await Self.connect(1_100, port: server.port)

        let whileFull = await Self.probe(port: server.port)
        #expect(whileFull?.hasPrefix("HTTP/1.1 503") == true || whileFull?.hasPrefix("HTTP/1.1 200") == true, "\(whileFull ?? "no answer")")
        if whileFull?.hasPrefix("HTTP/1.1 503") == true {
            #expect(whileFull?.contains("application/problem+json") == true)
        }

        let beyond = connections.count - server.maxConnections
        #expect(await Self.eventually(within: .seconds(10)) { connections.filter { !$0.isOpen }.count >= beyond })
        let refused = connections.filter { !$0.isOpen }
        #expect(refused.count == beyond, "exactly the connections beyond the limit are closed")
        #expect(refused.allSatisfy { $0.text.hasPrefix("HTTP/1.1 503") }, "each gets a 503: \(refused.first?.text ?? "")")

        // Idle: the open connections send nothing; the server must not spin meanwhile.
        let clock = ContinuousClock()
        let cpuBefore = try server.cpuTime()
        let start = clock.now
        try await Task.sleep(for: .seconds(3))
        let cpu = try server.cpuTime() - cpuBefore
        let wall = clock.now - start
        #expect(cpu < wall / 2, "the server used \(cpu) of CPU in \(wall) with idle connections open")

        // A connection freed by a client makes room for a new one.
        let held = connections.filter(\.isOpen)
        for connection in held.prefix(10) { await connection.close() }
        var served = false
        for _ in 0..<50 where !served {
            served = await Self.probe(port: server.port)?.hasPrefix("HTTP/1.1 200") == true
            if !served { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(served, "a new request is served once there is room")

        // Connections that never send a byte do not stay forever.
        #expect(await Self.eventually(within: .seconds(60)) { held.dropFirst(10).allSatisfy { !$0.isOpen } }, "idle connections are closed")
        #expect(await Self.probe(port: server.port)?.hasPrefix("HTTP/1.1 200") == true)
        #expect(server.process.isRunning)
        for connection in connections { await connection.close() }
    }

    /// Started with a soft descriptor limit of 1,024 under a hard one of 4,096, the server raises
    /// its soft limit to the hard one and derives `http.maxConnections` from that.
    @Test func softDescriptorLimitIsRaised() async throws {
        let server = try await ServedBinary.start(descriptors: 4096, soft: 1024)
        defer { server.stop() }
        let limits = try #require(try server.descriptorLimits())
        #expect(limits.soft == 4096 && limits.hard == 4096, "\(limits)")
        #expect(server.maxConnections == 4096 - 512)
    }

    /// 200 connections sending a request head a byte a second are all closed, unanswered, by
    /// `http.requestHeadTimeout` (2 s here), long before their heads could be complete.
    @Test func slowHeadersAreClosed() async throws {
        try #require((FileDescriptorLimit.raiseSoftLimit() ?? 0) >= 1_024, "the test needs 200 descriptors of its own")
        let server = try await ServedBinary.start(descriptors: 1024, environment: ["EMPORIUM_HTTP_REQUEST_HEAD_TIMEOUT": "2"])
        defer { server.stop() }
        let connections = try await Self.connect(200, port: server.port)

        let head = Array("GET /health/live HTTP/1.1\r\nHost: test\r\nX-Slow: " + String(repeating: "a", count: 100) + "\r\n\r\n")
        let dripping = Task {
            for byte in head {
                for connection in connections where connection.isOpen { try? await connection.send(String(byte)) }
                try await Task.sleep(for: .seconds(1))
            }
        }
        defer { dripping.cancel() }
        #expect(await Self.eventually(within: .seconds(15)) { connections.allSatisfy { !$0.isOpen } }, "all slow clients are closed")
        #expect(connections.allSatisfy { $0.text.isEmpty }, "none is answered")
        #expect(await Self.probe(port: server.port)?.hasPrefix("HTTP/1.1 200") == true, "a prompt client is served")
        for connection in connections { await connection.close() }
    }
}
