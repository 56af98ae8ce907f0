import ArgumentParser

/// `emporium`: the one binary of the platform.
@main
struct EmporiumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emporium",
        abstract: "Emporium: an e-commerce platform of microservices in one binary.",
        discussion: """
            `emporium serve` runs every service in one process on embedded defaults (SQLite files in \
            ./.emporium). `--services NAME,...` runs a subset, e.g. against PostgreSQL.
            """,
        subcommands: [ServeCommand.self, MigrateCommand.self, SeedCommand.self, CatalogCommand.self, OrdersCommand.self, RecommendationsCommand.self, AdminCommand.self, BenchCommand.self]
    )

    @Flag(name: .customLong("list-services"), help: "Print the services this build can run, and exit.")
    var listServices = false

    func run() async throws {
        guard listServices else {
            print(Self.helpMessage())
            return
        }
        print(ServiceListing.text())
    }
}
