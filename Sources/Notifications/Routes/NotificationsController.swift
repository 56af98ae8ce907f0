import EmporiumCore
import EmporiumKit
import Foundation
import Hummingbird
import Security

/// `/v1/notifications`: the signed-in user's in-app notifications and their preferences, and
/// for support (`notifications.read`) every delivery with its channel, status and tries.
struct NotificationsController: Sendable {
    let inApp: InAppStore
    let preferences: PreferenceStore
    let deliveries: DeliveryStore

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/notifications", use: list)
        router.post("/v1/notifications/{id}/read", use: markRead)
        router.get("/v1/notifications/preferences", use: showPreferences)
        router.put("/v1/notifications/preferences", use: updatePreferences)
        router.get("/v1/notifications/deliveries", use: listDeliveries)
    }

    /// Mine, newest first, a page at a time; `?unread=true` leaves out what was read.
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Page<InAppNotification> {
        let principal = try context.requirePermission(.ownAccount)
        let query = request.queryParameters
        var unreadOnly = false
        if let raw = query["unread"] {
            guard let value = Bool(raw) else { throw ProblemDetails.invalidParameter("unread", "must be true or false") }
            unreadOnly = value
        }
        let page = try PageRequest(query: query)
        let items = try await inApp.list(userId: principal.subject.lowercased(), unreadOnly: unreadOnly, before: page.after, limit: page.limit + 1)
        let shown = Array(items.prefix(page.limit))
        return Page(items: shown, nextCursor: items.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }

    /// Marks one of mine read → 200 with it (again: the first time stays); another's is a 404.
    @Sendable func markRead(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.ownAccount)
        let id = try context.uuidParameter("id").uuidString.lowercased()
        guard let notification = try await inApp.markRead(id: id, userId: principal.subject.lowercased(), now: .now) else {
            throw ProblemDetails.notFound("You have no notification with id \(id).")
        }
        return try Response.json(notification, context: context)
    }

    /// `{"email": {"welcome": true, …}, "in_app": {…}, "transactional": ["order_confirmed", …]}`.
    @Sendable func showPreferences(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.ownAccount)
        return try Response.json(PreferencesView(try await preferences.preferences(of: principal.subject.lowercased())), context: context)
    }

    /// Changes what the body names (`{"email": {"order_shipped": false}}`), keeps the rest → 200
    /// with every preference. Turning transactional mail off is a 422 naming it.
    @Sendable func updatePreferences(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.ownAccount)
        let body = try await request.decodeJSON(as: PreferencesChange.self, context: context)
        var changes: [String: [String: Bool]] = [:]
        if let email = body.email { changes[NotificationChannel.email.rawValue] = email }
        if let inApp = body.inApp { changes[NotificationChannel.inApp.rawValue] = inApp }
        // Checked before the transaction, so a refused change writes nothing.
        _ = try NotificationPreferences().applying(changes)
        let requested = changes
        let updated = try await preferences.update(principal.subject.lowercased(), now: .now) { current in try current.applying(requested) }
        return try Response.json(PreferencesView(updated), context: context)
    }

    /// Support: deliveries newest first, `?user_id=` one user's, `?status=` one status.
    @Sendable func listDeliveries(_ request: Request, context: EmporiumRequestContext) async throws -> Page<DeliveryView> {
        try context.requirePermission(.notificationsRead)
        let query = request.queryParameters
        var userId: String?
        if let raw = query["user_id"] {
            guard let id = UUID(uuidString: raw) else { throw ProblemDetails.invalidParameter("user_id", "must be a user id (a UUID)") }
            userId = id.uuidString.lowercased()
        }
        var status: DeliveryStatus?
        if let raw = query["status"] {
            guard let value = DeliveryStatus(rawValue: raw) else {
                throw ProblemDetails.invalidParameter("status", "must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        let page = try PageRequest(query: query)
        let items = try await deliveries.list(userId: userId, status: status, before: page.after, limit: page.limit + 1)
        let shown = Array(items.prefix(page.limit))
        return Page(items: shown, nextCursor: items.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }
}

/// The body of `PUT /v1/notifications/preferences`.
struct PreferencesChange: StrictJSONBody {
    static let knownFields: Set<String> = ["email", "in_app"]
    var email: [String: Bool]?
    var inApp: [String: Bool]?

    enum CodingKeys: String, CodingKey {
        case email
        case inApp = "in_app"
    }
}

/// The answer of the preference routes.
struct PreferencesView: Encodable, Sendable {
    var email: [String: Bool]
    var inApp: [String: Bool]
    /// The kinds whose email is always sent.
    var transactional: [String]

    init(_ preferences: NotificationPreferences) {
        let matrix = preferences.matrix
        email = matrix[NotificationChannel.email.rawValue] ?? [:]
        inApp = matrix[NotificationChannel.inApp.rawValue] ?? [:]
        transactional = NotificationKind.allCases.filter(\.isTransactional).map(\.rawValue)
    }

    enum CodingKeys: String, CodingKey {
        case email
        case inApp = "in_app"
        case transactional
    }
}
