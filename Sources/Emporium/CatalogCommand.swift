import ArgumentParser
import Catalog
import EmporiumRuntime
import Foundation

/// `emporium catalog …`: operator tasks on the catalog.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Catalog tasks.",
        subcommands: [Reindex.self]
    )

    /// `emporium catalog reindex`.
    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reindex",
            abstract: "Rebuild the product search read model from the products.",
            discussion: "Safe while servers run: each batch is one transaction, and events applied meanwhile never overwrite a newer version."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let (settings, logger) = try await common.settings(extraFlags: ["services": "catalog"])
            let indexed = try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
                guard let catalog = services.lazy.compactMap({ $0.service as? CatalogService }).first else {
                    throw ValidationError("the catalog service is not selected")
                }
                return try await catalog.reindexSearch { done, total in
                    FileHandle.standardError.write(Data("reindexed \(done)/\(total) products\n".utf8))
                }
            }
            print("catalog: \(indexed) active products indexed")
        }
    }
}
