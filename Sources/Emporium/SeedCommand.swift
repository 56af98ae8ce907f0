import ArgumentParser
import Catalog
import EmporiumKit
import EmporiumRuntime
import Foundation
import Messaging
import Storage

/// `emporium seed`: fills an empty catalog with the deterministic demo data.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Seed the demo catalog into an empty catalog database.")

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("products"), help: "How many demo products (1...100000).")
    var products = DemoCatalog.defaultProductCount

    func validate() throws {
        guard (1...100_000).contains(products) else {
            throw ValidationError("--products must be from 1 to 100000")
        }
    }

    func run() async throws {
        var common = common
        common.services = "catalog"
        let (settings, logger) = try await common.settings()
        let runner = MaintenanceRunner(settings: settings, logger: logger)
        let seeded = try await runner.withServices { services in
            guard let (service, database) = services.first(where: { $0.service.name == "catalog" }) else { return false }
            try await Migrator(database: database, service: MessagingSchema.history(of: "catalog"), logger: logger)
                .migrate(MessagingSchema.migrations)
            try await Migrator(database: database, service: service.name, logger: logger).migrate(service.migrations)
            return try await CatalogSeeder(store: CatalogStore(database: database, outbox: Outbox(service: "catalog")), logger: logger)
                .seedIfEmpty(productCount: products) { written, total in
                    FileHandle.standardError.write(Data("seeded \(written)/\(total) products\n".utf8))
                }
        }
        print(seeded ? "catalog: seeded \(products) demo products" : "catalog: already has data; nothing seeded")
    }
}
