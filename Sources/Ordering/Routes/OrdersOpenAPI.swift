import EmporiumContracts
import EmporiumKit
import Security

/// The OpenAPI description of the orders service's public routes. Every rule the handlers check
/// on input is stated here, so a request valid per the document is never a 400; what it cannot
/// state (an empty cart, an SKU no longer sold, a payment method that is not the caller's, an
/// `Idempotency-Key` used for another checkout, a cursor this server did not issue) answers 422.
enum OrdersOpenAPI {
    static let status = OpenAPISchema.enumeration(OrderStatus.allCases.map(\.rawValue))
    static let idempotencyKey = #"{"name": "Idempotency-Key", "in": "header", "required": true, "description": "1-\#(IdempotencyKey.maximumLength) visible ASCII characters naming this checkout, per user: the same key with the same body answers the same order (200, waiting for a checkout still running, or 409 when it runs on); with another body it is a 422.", "schema": \#(OpenAPISchema.string(pattern: IdempotencyKey.pattern, minLength: 1, maxLength: IdempotencyKey.maximumLength))}"#
    static let details = ##"{"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}"##
    static let commandResponses = #"""
        "200": {"description": "The order afterwards.", "content": \#(details)},
        "202": {"description": "Accepted: a service the work needs could not be reached; the recovery finishes it.", "content": \#(details)},
        \#(OpenAPISchema.problemResponses([400, 401, 403, 404, 409]))
        """#

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "orders", "description": "Checkout and orders: each order an append-only stream of events, its state their fold."}],
              "paths": {
                "/v1/checkout": {
                  "post": {
                    "tags": ["orders"], "operationId": "checkout", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Turn the signed-in user's cart into an order (account.own): price every line from the catalog now, reserve the stock, authorize the payment, confirm, empty the cart. A business failure (out of stock, a declined card) answers 201 with the order cancelled and its cancellationReason; nothing is charged and nothing stays reserved.",
                    "parameters": [\#(idempotencyKey)],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Checkout"}}}},
                    "responses": {
                      "201": {"description": "The order placed by this request: confirmed, or cancelled with its reason.", "content": \#(details)},
                      "200": {"description": "The order an earlier checkout with this key placed.", "content": \#(details)},
                      "202": {"description": "Placed but not settled: a service could not be reached or the card processor did not answer; the recovery settles it.", "content": \#(details)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 409, 422]))
                    }
                  }
                },
                "/v1/orders": {
                  "get": {
                    "tags": ["orders"], "operationId": "listOrders", "security": \#(OpenAPISecurity.bearer(anyOf: .ownAccount, .ordersRead)),
                    "summary": "Orders, newest first: the caller's own (account.own), or every order with orders.read, which may filter by customer.",
                    "parameters": [
                      {"name": "status", "in": "query", "schema": \#(status)},
                      {"name": "customer", "in": "query", "description": "A user id; needs orders.read.", "schema": \#(OpenAPISchema.uuid)},
                      \#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)
                    ],
                    "responses": {
                      "200": {"description": "A page of orders.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderPage"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))
                    }
                  }
                },
                "/v1/orders/{id}": {
                  "get": {
                    "tags": ["orders"], "operationId": "getOrder", "security": \#(OpenAPISecurity.bearer(anyOf: .ownAccount, .ordersRead)),
                    "summary": "One order with its lines and shipping address (its owner, or orders.read; anyone else gets 404).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {"200": {"description": "The order.", "content": \#(details)}, \#(OpenAPISchema.problemResponses([400, 401, 404]))}
                  }
                },
                "/v1/orders/{id}/events": {
                  "get": {
                    "tags": ["orders"], "operationId": "getOrderEvents", "security": \#(OpenAPISecurity.bearer(anyOf: .ownAccount, .ordersRead)),
                    "summary": "The order's event stream, oldest first (its owner, or orders.read).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {
                      "200": {"description": "The stream.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                        "items": {"type": "array", "items": {"type": "object", "required": ["version", "type", "recordedAt", "data"], "additionalProperties": false, "properties": {
                          "version": {"type": "integer", "minimum": 1}, "type": {"type": "string"}, "recordedAt": {"type": "string", "format": "date-time"},
                          "data": {"type": "object"}}}}}}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 404]))
                    }
                  }
                },
                "/v1/orders/{id}/cancel": {
                  "post": {
                    "tags": ["orders"], "operationId": "cancelOrder", "security": \#(OpenAPISecurity.bearer(anyOf: .ownAccount, .ordersFulfil)),
                    "summary": "Cancel an order before it ships (its owner, or orders.fulfil): the payment is voided, the stock released. Cancelling a cancelled order answers it unchanged; 409 once it shipped.",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {\#(commandResponses)}
                  }
                },
                "/v1/orders/{id}/ship": {
                  "post": {
                    "tags": ["orders"], "operationId": "shipOrder", "security": \#(OpenAPISecurity.bearer(.ordersFulfil)),
                    "summary": "Ship a confirmed order (orders.fulfil): the payment is captured and the stock committed. A capture that fails cancels the order (its reason says so).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {\#(commandResponses)}
                  }
                },
                "/v1/orders/{id}/deliver": {
                  "post": {
                    "tags": ["orders"], "operationId": "deliverOrder", "security": \#(OpenAPISecurity.bearer(.ordersFulfil)),
                    "summary": "Record a shipped order delivered (orders.fulfil).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {\#(commandResponses)}
                  }
                }
              },
              "components": {
                "schemas": {
                  "Checkout": {"type": "object", "required": ["paymentMethodId", "shippingAddress"], "additionalProperties": false, "properties": {
                    "paymentMethodId": {"type": "string", "format": "uuid", "description": "One of the caller's saved cards (POST /v1/payment-methods)."},
                    "shippingAddress": \#(PostalAddressRules.openAPISchema)}},
                  "OrderLine": {"type": "object", "required": ["sku", "productId", "productName", "quantity", "unitPrice", "lineTotal"], "additionalProperties": false, "properties": {
                    "sku": {"type": "string"}, "productId": {"type": "string"}, "productName": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                    "unitPrice": {"$ref": "#/components/schemas/Money"}, "lineTotal": {"$ref": "#/components/schemas/Money"}}},
                  "Order": {"type": "object", "required": ["id", "userId", "status", "lines", "total", "refundedAmount", "paymentMethodId", "version", "createdAt", "updatedAt"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "userId": {"type": "string"}, "status": \#(status),
                    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/OrderLine"}},
                    "total": {"$ref": "#/components/schemas/Money"}, "refundedAmount": {"$ref": "#/components/schemas/Money"},
                    "paymentMethodId": {"type": "string"}, "paymentId": {"type": "string"},
                    "shippingAddress": {"type": "object", "required": ["line1", "city", "postalCode", "country"], "additionalProperties": false, "properties": {
                      "line1": {"type": "string"}, "line2": {"type": "string"}, "city": {"type": "string"}, "region": {"type": "string"},
                      "postalCode": {"type": "string"}, "country": {"type": "string"}}},
                    "cancellationReason": {"type": "string", "description": "Why the order was cancelled, in words a person can read (card declined, out of stock: SKU-1)."},
                    "cancellationCode": {"type": "string", "description": "out_of_stock, card_declined, insufficient_funds, customer, support, …"},
                    "version": {"type": "integer", "minimum": 1, "description": "How many events the order's stream has."},
                    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}}},
                  "OrderSummary": {"type": "object", "required": ["id", "userId", "status", "total", "refundedAmount", "itemCount", "createdAt", "updatedAt"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "userId": {"type": "string"}, "status": \#(status),
                    "total": {"$ref": "#/components/schemas/Money"}, "refundedAmount": {"$ref": "#/components/schemas/Money"},
                    "itemCount": {"type": "integer", "minimum": 1}, "cancellationReason": {"type": "string"},
                    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}}},
                  "OrderPage": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/OrderSummary"}}, "nextCursor": {"type": "string"}}}
                }
              }
            }
            """#
    )
}
