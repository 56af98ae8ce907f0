public import EmporiumKit
import NIOHTTP1

/// What the users service offers other services: how to reach a user (the notifications
/// service's emails). Personal data: a caller keeps what it gets sealed, or not at all.
///
/// In one process the runtime hands the caller the users service itself; otherwise
/// ``HTTPUsersAPI`` calls `GET /internal/v1/users/{userId}/contact`.
public protocol UsersAPI: Sendable {
    /// The user's email and name; nil for a user the users service does not know (yet: profiles
    /// are made from `identity.user.registered`, moments after the registration).
    func contact(ofUser userId: String) async throws -> UserContact?
}

/// How to reach a user.
public struct UserContact: Codable, Sendable, Equatable {
    public var userId: String
    public var email: String
    /// The name the user gave, if any.
    public var name: String?

    public init(userId: String, email: String, name: String?) {
        self.userId = userId
        self.email = email
        self.name = name
    }
}

/// The answer of `GET /internal/v1/users/{userId}/contact`: the contact, or null for an unknown
/// user (a 200 either way, so a 404 always means a wrong route).
public struct UserContactAnswer: Codable, Sendable, Equatable {
    public var contact: UserContact?

    public init(contact: UserContact?) {
        self.contact = contact
    }
}

/// ``UsersAPI`` over HTTP, for a caller whose process does not run the users service.
public struct HTTPUsersAPI: UsersAPI {
    private let remote: RemoteService

    public init(_ remote: RemoteService) {
        self.remote = remote
    }

    public func contact(ofUser userId: String) async throws -> UserContact? {
        try await remote.call(.GET, "/internal/v1/users/\(userId.lowercased())/contact", as: UserContactAnswer.self).contact
    }
}
