import EmporiumTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `emporium` binary as a user runs it.
@Suite("emporium command line")
struct CommandLineTests {
    /// The built `emporium` executable, next to the test bundle.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["EMPORIUM_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("emporium").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("emporium")
    }()

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs the binary to completion. Output goes to files, not pipes: reading a pipe while a
    /// child exits can be interrupted by SIGCHLD, which Foundation's FileHandle turns into a crash.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout")
        let errorFile = directory.appendingPathComponent("stderr")
        let process = try start(arguments, environment: environment, output: outputFile, error: errorFile)
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
            error: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }

    static func start(_ arguments: [String], environment: [String: String] = [:], output: URL, error: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        try TestProcess.launch(process)
        return process
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func unknownServiceFailsNamingValidOnes() throws {
        let run = try Self.run(["serve", "--services", "nosuch", "--data-dir", try Self.temporaryDirectory().path])
        #expect(run.status != 0)
        #expect(run.error.contains("unknown service 'nosuch'"))
        #expect(run.error.contains("catalog"))
    }

    @Test func listsServices() throws {
        let run = try Self.run(["--list-services"])
        #expect(run.status == 0)
        #expect(run.output.contains("all"))
        #expect(run.output.contains("catalog"))
    }

    @Test func invalidPortFromEnvironmentIsNamed() throws {
        let run = try Self.run(["migrate", "--data-dir", try Self.temporaryDirectory().path], environment: ["EMPORIUM_HTTP_PORT": "eighty"])
        #expect(run.status != 0)
        #expect(run.error.contains("EMPORIUM_HTTP_PORT"))
    }

    @Test func migrateThenSeed() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try Self.run(["migrate", "--data-dir", directory.path, "--config", try Self.writeConfig(in: directory)])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("catalog: applied 1"))
        let again = try Self.run(["migrate", "--data-dir", directory.path])
        #expect(again.output.contains("catalog: up to date"))
        let seed = try Self.run(["seed", "--products", "1200", "--data-dir", directory.path])
        #expect(seed.status == 0, "\(seed.error)")
        #expect(seed.output.contains("seeded 1200"))
        #expect(seed.error.contains("seeded 1200/1200 products"), "progress is reported")
        let reseed = try Self.run(["seed", "--data-dir", directory.path])
        #expect(reseed.output.contains("already has data"))
        let reindex = try Self.run(["catalog", "reindex", "--data-dir", directory.path])
        #expect(reindex.status == 0, "\(reindex.error)")
        #expect(reindex.output.contains("catalog: 1200 active products indexed"), "\(reindex.output)")
        #expect(reindex.error.contains("reindexed 1200/1200 products"), "progress is reported")
    }

    /// Runs a shell command line to completion, its output into a file.
    static func shell(_ command: String) throws -> String {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: outputFile)
        try TestProcess.launch(process)
        process.waitUntilExit()
        return (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    /// The log format follows standard output unless `log.format` says otherwise: JSON lines
    /// into a pipe (for Loki), short text lines at a terminal (a pseudo-terminal made by
    /// script(1)).
    @Test func logFormatFollowsTheTerminal() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let migrate = "'\(Self.binary.path)' migrate --data-dir '\(directory.path)'"

        func migrationLines(_ output: String) -> [Substring] {
            output.split(whereSeparator: \.isNewline).filter { $0.contains("applied migration") }
        }
        let piped = migrationLines(try Self.shell("\(migrate)/piped | cat"))
        #expect(!piped.isEmpty)
        for line in piped {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] as? String == "applied migration", "\(line)")
        }
        let terminal = migrationLines(try Self.shell("script -qec \"\(migrate)/terminal\" /dev/null"))
        #expect(!terminal.isEmpty)
        for line in terminal {
            #expect(line.wholeMatch(of: /\d\d:\d\d:\d\d INFO applied migration \S.*/) != nil, "\(line)")
        }
        let forced = migrationLines(try Self.shell("EMPORIUM_LOG_FORMAT=json script -qec \"\(migrate)/forced\" /dev/null"))
        #expect(!forced.isEmpty)
        #expect(forced.allSatisfy { $0.hasPrefix("{") }, "log.format=json wins over the terminal")
    }

    static func writeConfig(in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("emporium.json")
        try Data(#"{"log": {"level": "warning"}}"#.utf8).write(to: file)
        return file.path
    }

    /// `emporium serve` answers with the demo catalog and stops cleanly on SIGTERM.
    @Test func servesDemoCatalogAndStopsOnSIGTERM() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout")
        let process = try Self.start(
            ["serve", "--port", "0", "--data-dir", directory.path],
            output: outputFile, error: directory.appendingPathComponent("stderr")
        )
        defer { if process.isRunning { process.terminate() } }

        // The "emporium listening" log line names the URL.
        var baseURL: String?
        var output = ""
        for _ in 0..<600 where baseURL == nil && process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            for line in output.split(separator: "\n") where line.contains("emporium listening") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                baseURL = object?["url"] as? String
            }
        }
        let base = try #require(baseURL, "no listening line in: \(output)")
        let (data, response) = try await URLSession.shared.data(from: URL(string: "\(base)/v1/products?limit=5")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let page = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect((page?["items"] as? [Any])?.count == 5)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(((try? String(contentsOf: outputFile, encoding: .utf8)) ?? "").contains("emporium stopped"))
    }
}
