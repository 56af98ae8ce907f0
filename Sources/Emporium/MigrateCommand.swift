import ArgumentParser
import EmporiumRuntime

/// `emporium migrate`: applies pending migrations of the selected services and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations without serving.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let (settings, logger) = try await common.settings()
        let applied = try await MaintenanceRunner(settings: settings, logger: logger).migrate()
        for (service, versions) in applied.sorted(by: { $0.key < $1.key }) {
            print(versions.isEmpty ? "\(service): up to date" : "\(service): applied \(versions.map(String.init).joined(separator: ", "))")
        }
    }
}
