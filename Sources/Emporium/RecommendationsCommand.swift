import ArgumentParser
import EmporiumRuntime
import Foundation
import Recommendations

/// `emporium recommendations …`: operator tasks on recommendations.
struct RecommendationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommendations",
        abstract: "Recommendation tasks.",
        subcommands: [Rebuild.self]
    )

    /// `emporium recommendations rebuild`.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebuild",
            abstract: "Recompute every co-purchase and popularity count from the recorded purchases.",
            discussion: "One transaction: lists keep the old scores until it commits, then every cached list is computed again. On PostgreSQL new orders wait for it to finish."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let (settings, logger) = try await common.settings(extraFlags: ["services": "recommendations"])
            let counted = try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
                guard let recommendations = services.lazy.compactMap({ $0.service as? RecommendationsService }).first else {
                    throw ValidationError("the recommendations service is not selected")
                }
                return try await recommendations.rebuild { done, total in
                    FileHandle.standardError.write(Data("rebuilt \(done)/\(total) purchases\n".utf8))
                }
            }
            print("recommendations: \(counted) purchases counted")
        }
    }
}
