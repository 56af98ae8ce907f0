import ArgumentParser
import EmporiumRuntime
import Foundation
import Ordering

/// `emporium orders …`: operator tasks on orders.
struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "Order tasks.",
        subcommands: [Replay.self]
    )

    /// `emporium orders replay`.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Rebuild the order list and detail tables from the orders' event streams.",
            discussion: "The rows it writes are the ones the appends wrote: a replay of intact tables changes nothing. Each batch of orders is one transaction."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let (settings, logger) = try await common.settings(extraFlags: ["services": "orders"])
            let replayed = try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
                guard let orders = services.lazy.compactMap({ $0.service as? OrdersService }).first else {
                    throw ValidationError("the orders service is not selected")
                }
                return try await orders.replay { done, total in
                    FileHandle.standardError.write(Data("replayed \(done)/\(total) orders\n".utf8))
                }
            }
            print("orders: \(replayed) orders replayed")
        }
    }
}
