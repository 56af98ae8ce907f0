import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// An `emporium serve` child process of a benchmark, its log in a file.
struct BenchmarkProcess {
    let process: Process
    let port: Int

    /// Starts `emporium serve --services <services>` on a free port of 127.0.0.1 and waits
    /// (60 s at most) until `/health/ready` answers 200; at any log level.
    static func start(services: String, environment: [String: String], folder: URL) async throws -> BenchmarkProcess {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = folder.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !CommandLine.arguments[0].hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(CommandLine.arguments[0])
        }
        process.arguments = ["serve", "--services", services, "--port", String(port), "--data-dir", folder.appendingPathComponent("data").path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        for _ in 0..<600 where process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/ready")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok {
                return BenchmarkProcess(process: process, port: port)
            }
        }
        if process.isRunning { process.terminate() }
        throw ValidationError("emporium serve --services \(services) did not start:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// A TCP port of 127.0.0.1 that nothing listens on now (bound to port 0, read, closed).
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ValidationError("no socket for a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        guard bound == 0 else { throw ValidationError("could not bind a free port") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        guard named == 0 else { throw ValidationError("could not read the free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
