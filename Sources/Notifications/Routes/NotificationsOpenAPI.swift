import EmporiumKit
import Security

/// The OpenAPI description of the notifications service's public routes. What the document
/// cannot state (a webhook URL without a host or on a private address, turning transactional
/// mail off, too many webhooks, a cursor this server did not issue) answers 422.
enum NotificationsOpenAPI {
    static let kinds = NotificationKind.allCases.map(\.rawValue)
    static let eventTypes = OpenAPISchema.enumeration(NotificationKind.eventTypes)
    static let choices = #"{"type": "object", "additionalProperties": false, "properties": {\#(kinds.map { #""\#($0)": {"type": "boolean"}"# }.joined(separator: ", "))}}"#
    static let preferences = ##"{"application/json": {"schema": {"$ref": "#/components/schemas/NotificationPreferences"}}}"##
    static let webhookURL = OpenAPISchema.string(
        pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$", minLength: 8, maxLength: WebhookTarget.maximumURLLength,
        description: "An http(s) URL in visible ASCII (percent-encode the rest) with a host, without credentials or fragment, on a public address (unless the shop allows private ones).")

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "notifications", "description": "In-app notifications, preferences, webhooks and the record of every delivery."}],
              "paths": {
                "/v1/notifications": {
                  "get": {
                    "tags": ["notifications"], "operationId": "listNotifications", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "The signed-in user's in-app notifications, newest first (account.own).",
                    "parameters": [
                      {"name": "unread", "in": "query", "description": "true: only those not read yet.", "schema": {"type": "string", "enum": ["true", "false"]}},
                      \#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)
                    ],
                    "responses": {
                      "200": {"description": "A page of notifications.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotificationPage"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))
                    }
                  }
                },
                "/v1/notifications/{id}/read": {
                  "post": {
                    "tags": ["notifications"], "operationId": "markNotificationRead", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Mark one of mine read (again: the first time stays). Another user's is a 404.",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {
                      "200": {"description": "The notification.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Notification"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 404]))
                    }
                  }
                },
                "/v1/notifications/preferences": {
                  "get": {
                    "tags": ["notifications"], "operationId": "getNotificationPreferences", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "What the signed-in user is told, per channel and kind (true: sent).",
                    "responses": {"200": {"description": "The preferences.", "content": \#(preferences)}, \#(OpenAPISchema.problemResponses([401, 403]))}
                  },
                  "put": {
                    "tags": ["notifications"], "operationId": "updateNotificationPreferences", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Change the choices the body names; the rest stay. Transactional mail (order confirmations, cancellations, refunds) is always sent: turning it off is a 422.",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotificationPreferencesChange"}}}},
                    "responses": {"200": {"description": "Every preference afterwards.", "content": \#(preferences)}, \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 422]))}
                  }
                },
                "/v1/notifications/deliveries": {
                  "get": {
                    "tags": ["notifications"], "operationId": "listNotificationDeliveries", "security": \#(OpenAPISecurity.bearer(.notificationsRead)),
                    "summary": "Every delivery, newest first, with its channel, status, tries and last error (notifications.read, customer support).",
                    "parameters": [
                      {"name": "user_id", "in": "query", "schema": \#(OpenAPISchema.uuid)},
                      {"name": "status", "in": "query", "schema": \#(OpenAPISchema.enumeration(DeliveryStatus.allCases.map(\.rawValue)))},
                      \#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)
                    ],
                    "responses": {
                      "200": {"description": "A page of deliveries.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryPage"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))
                    }
                  }
                },
                "/v1/webhooks": {
                  "post": {
                    "tags": ["notifications"], "operationId": "createWebhook", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Subscribe a URL to events: a customer's get the events about them; an administrator's (webhooks.shop) every event. Each delivery is a POST of the CloudEvent signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: v1,base64 HMAC-SHA256 of id.timestamp.body), retried with backoff. The secret is in this answer only.",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewWebhook"}}}},
                    "responses": {
                      "201": {"description": "The subscription and its secret.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatedWebhook"}}}},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 422]))
                    }
                  },
                  "get": {
                    "tags": ["notifications"], "operationId": "listWebhooks", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "My subscriptions, oldest first (never their secrets).",
                    "responses": {
                      "200": {"description": "The subscriptions.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}}}}}},
                      \#(OpenAPISchema.problemResponses([401, 403]))
                    }
                  }
                },
                "/v1/webhooks/{id}": {
                  "delete": {
                    "tags": ["notifications"], "operationId": "deleteWebhook", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Delete one of my subscriptions; its deliveries not yet made fail.",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {"204": {"description": "Deleted."}, \#(OpenAPISchema.problemResponses([400, 401, 403, 404]))}
                  }
                }
              },
              "components": {
                "schemas": {
                  "Notification": {"type": "object", "required": ["id", "kind", "title", "body", "createdAt"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "kind": \#(OpenAPISchema.enumeration(kinds)), "subjectId": {"type": "string", "description": "What it is about (an order id)."},
                    "title": {"type": "string"}, "body": {"type": "string"}, "createdAt": {"type": "string", "format": "date-time"}, "readAt": {"type": "string", "format": "date-time"}}},
                  "NotificationPage": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}}, "nextCursor": {"type": "string"}}},
                  "NotificationPreferences": {"type": "object", "required": ["email", "in_app", "transactional"], "additionalProperties": false, "properties": {
                    "email": \#(choices), "in_app": \#(choices), "transactional": {"type": "array", "items": \#(OpenAPISchema.enumeration(kinds))}}},
                  "NotificationPreferencesChange": {"type": "object", "additionalProperties": false, "properties": {"email": \#(choices), "in_app": \#(choices)}},
                  "Delivery": {"type": "object", "required": ["id", "eventId", "eventType", "kind", "userId", "channel", "status", "attempts", "createdAt"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "eventId": {"type": "string"}, "eventType": {"type": "string"}, "kind": \#(OpenAPISchema.enumeration(kinds)),
                    "userId": {"type": "string"}, "channel": {"type": "string", "enum": ["email", "webhook"]}, "webhookId": {"type": "string"},
                    "status": \#(OpenAPISchema.enumeration(DeliveryStatus.allCases.map(\.rawValue))), "attempts": {"type": "integer", "minimum": 0},
                    "lastError": {"type": "string"}, "nextAttemptAt": {"type": "string", "format": "date-time"},
                    "createdAt": {"type": "string", "format": "date-time"}, "sentAt": {"type": "string", "format": "date-time"}}},
                  "DeliveryPage": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}}, "nextCursor": {"type": "string"}}},
                  "NewWebhook": {"type": "object", "required": ["url", "events"], "additionalProperties": false, "properties": {
                    "url": \#(webhookURL),
                    "events": {"type": "array", "minItems": 1, "uniqueItems": true, "items": \#(eventTypes)}}},
                  "Webhook": {"type": "object", "required": ["id", "url", "events", "scope", "createdAt"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
                    "scope": {"type": "string", "enum": ["own", "shop"]}, "createdAt": {"type": "string", "format": "date-time"}}},
                  "CreatedWebhook": {"type": "object", "required": ["id", "url", "events", "scope", "createdAt", "secret"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
                    "scope": {"type": "string", "enum": ["own", "shop"]}, "createdAt": {"type": "string", "format": "date-time"},
                    "secret": {"type": "string", "description": "whsec_ and the base64 of the HMAC key: keep it, it is not shown again."}}}
                }
              }
            }
            """#
    )
}
