import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import Security

/// `/v1/webhooks`: the signed-in user's webhook subscriptions (events about them), and an
/// administrator's (`webhooks.shop`: every event of the shop). The secret is answered once, at
/// creation, and kept sealed.
struct WebhooksController: Sendable {
    let webhooks: WebhookStore
    let allowPrivateAddresses: Bool

    func addRoutes(to router: ServiceRouter) {
        router.post("/v1/webhooks", use: create)
        router.get("/v1/webhooks", use: list)
        router.delete("/v1/webhooks/{id}", use: remove)
    }

    /// `{"url", "events": [type, …]}` → 201 `{"id", "url", "events", "scope", "createdAt", "secret"}`.
    /// A URL on a loopback, private or link-local address (or a host resolving to one) is a 422
    /// naming `url`, unless `notifications.webhooks.allowPrivateAddresses`.
    @Sendable func create(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<CreatedWebhook> {
        let principal = try context.requirePermission(.ownAccount)
        let body = try await request.decodeJSON(as: NewWebhook.self, context: context)
        let components = try WebhookTarget.validate(body.url)
        let events = try WebhookRules.validateEvents(body.events)
        if !allowPrivateAddresses {
            let host = WebhookTarget.host(of: components)
            let addresses: [String]
            do {
                addresses = try await WebhookSender.resolve(host)
            } catch {
                throw ProblemDetails.unprocessable([.init(field: "url", detail: "names a host that does not resolve (\(host))")])
            }
            for address in addresses {
                if let refusal = WebhookTarget.refusal(ofAddress: address) {
                    throw ProblemDetails.unprocessable([.init(field: "url", detail: "goes to \(address), which \(refusal); webhooks go only to public addresses")])
                }
            }
        }
        let scope: WebhookScope = principal.may(.webhooksShop) ? .shop : .own
        let secret = WebhookSignature.newSecret()
        guard let webhook = try await webhooks.create(
            ownerId: principal.subject.lowercased(), scope: scope, url: body.url, events: events, secret: secret,
            limit: WebhookRules.maximumPerUser, now: .now)
        else {
            throw ProblemDetails.unprocessable([.init(detail: "you have \(WebhookRules.maximumPerUser) webhooks already; delete one first")])
        }
        return EditedResponse(status: .created, response: CreatedWebhook(webhook, secret: secret))
    }

    /// Mine, oldest first, without secrets.
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.ownAccount)
        return try Response.json(WebhookList(items: try await webhooks.list(ownerId: principal.subject.lowercased())), context: context)
    }

    /// Deletes one of mine → 204; another's is a 404. Deliveries not yet made fail ("deleted").
    @Sendable func remove(_ request: Request, context: EmporiumRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.requirePermission(.ownAccount)
        let id = try context.uuidParameter("id").uuidString.lowercased()
        guard try await webhooks.delete(id: id, ownerId: principal.subject.lowercased()) else {
            throw ProblemDetails.notFound("You have no webhook with id \(id).")
        }
        return .noContent
    }
}

/// The body of `POST /v1/webhooks`.
struct NewWebhook: StrictJSONBody {
    static let knownFields: Set<String> = ["url", "events"]
    var url: String
    var events: [String]
}

/// A new subscription, with its secret (shown this once).
struct CreatedWebhook: ResponseEncodable, Sendable {
    var id: String
    var url: String
    var events: [String]
    var scope: String
    var createdAt: String
    var secret: String

    init(_ webhook: Webhook, secret: String) {
        id = webhook.id
        url = webhook.url
        events = webhook.events
        scope = webhook.scope
        createdAt = webhook.createdAt
        self.secret = secret
    }
}

/// The answer of `GET /v1/webhooks`.
struct WebhookList: Encodable, Sendable {
    var items: [Webhook]
}
