import EmporiumContracts
import EmporiumKit
import Foundation
import Hummingbird

/// `/internal/v1/users/{userId}/contact`: how to reach a user, for other services (the
/// notifications' emails) in other processes; the platform admits only calls with a service
/// credential.
struct InternalUsersController: Sendable {
    let users: any UsersAPI

    func addRoutes(to router: ServiceRouter) {
        router.get("/internal/v1/users/{userId}/contact") { _, context in
            let userID = try context.uuidParameter("userId").uuidString.lowercased()
            return try Response.json(UserContactAnswer(contact: try await users.contact(ofUser: userID)), context: context)
        }
    }
}
