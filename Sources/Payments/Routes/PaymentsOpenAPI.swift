import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Security

/// The OpenAPI description of the payments service's public routes. Every rule the handlers
/// check on input is stated here from ``CardRules``' and ``PaymentRules``' constants, so a
/// request valid per the document is never a 400; what the document cannot state (a card
/// number's Luhn check digit, an expiry in the past or over 20 years ahead, the methods per
/// account, a refund above what is refundable or in another currency, an idempotency key used
/// for another refund, a cursor this server did not issue) answers 422.
enum PaymentsOpenAPI {
    static let brand = OpenAPISchema.enumeration(CardBrand.allCases.map(\.rawValue))
    static let status = OpenAPISchema.enumeration(PaymentStatus.allCases.map(\.rawValue))
    static let idempotencyKey = #"{"name": "Idempotency-Key", "in": "header", "required": true, "description": "1-\#(PaymentRules.maximumKeyLength) visible ASCII characters naming this refund: the same key with the same body answers the same refund (200) without refunding twice; with another body it is a 422.", "schema": \#(OpenAPISchema.string(pattern: PaymentRules.keyPattern, minLength: 1, maxLength: PaymentRules.maximumKeyLength))}"#
    static let orderID = #"{"name": "order_id", "in": "query", "required": true, "description": "The order whose payments to list.", "schema": \#(OpenAPISchema.uuid)}"#
    static let paymentBody = ##"{"application/json": {"schema": {"$ref": "#/components/schemas/Payment"}}}"##

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "payments", "description": "Saved cards (a vault: the number sealed, never shown again, the CVC never kept) and the payments of orders, with refunds."}],
              "paths": {
                "/v1/payment-methods": {
                  "post": {
                    "tags": ["payments"], "operationId": "addPaymentMethod", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Save a card for the signed-in user (account.own). The number must pass the Luhn check and the card must not have expired nor expire more than \#(CardRules.maximumYearsAhead) years ahead (else a 422 naming the field); an account keeps at most \#(CardRules.defaultMaximumPerUser) cards (a 422 beyond). The answer never holds the number nor the CVC.",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPaymentMethod"}}}},
                    "responses": {
                      "201": {"description": "Saved.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentMethod"}}}},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 422]))
                    }
                  },
                  "get": {
                    "tags": ["payments"], "operationId": "listPaymentMethods", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "The signed-in user's saved cards, oldest first (account.own).",
                    "parameters": [\#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)],
                    "responses": {
                      "200": {"description": "A page of cards.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentMethodPage"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))
                    }
                  }
                },
                "/v1/payment-methods/{id}": {
                  "delete": {
                    "tags": ["payments"], "operationId": "removePaymentMethod", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Remove one of the signed-in user's cards (account.own): it is no longer listed nor usable and its sealed number is erased. Another user's card is a 404.",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {
                      "204": {"description": "Removed."},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 404]))
                    }
                  }
                },
                "/v1/payments": {
                  "get": {
                    "tags": ["payments"], "operationId": "listPayments", "security": \#(OpenAPISecurity.bearer(anyOf: .ownAccount, .paymentsRead)),
                    "summary": "The payments of an order, oldest first: all of them with payments.read (support), else only the signed-in user's own (account.own), so another user's order lists none.",
                    "parameters": [\#(orderID), \#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)],
                    "responses": {
                      "200": {"description": "A page of payments.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentPage"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))
                    }
                  }
                },
                "/v1/payments/{id}/refunds": {
                  "post": {
                    "tags": ["payments"], "operationId": "refundPayment", "security": \#(OpenAPISecurity.bearer(.paymentsRefund)),
                    "summary": "Refund a captured payment (payments.refund, audited): amount, in the payment's currency, at most what was captured and not yet refunded; without amount, all of that. 409 unless the payment is captured or partially refunded; 422 for more than is refundable (naming it) or another currency.",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter()), \#(idempotencyKey)],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewRefund"}}}},
                    "responses": {
                      "201": {"description": "Refunded: the payment afterwards.", "content": \#(paymentBody)},
                      "200": {"description": "The same Idempotency-Key and body as an earlier refund: that refund's answer, nothing refunded again.", "content": \#(paymentBody)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 404, 409, 422, 503]))
                    }
                  }
                }
              },
              "components": {
                "schemas": {
                  "NewPaymentMethod": {"type": "object", "required": ["number", "expMonth", "expYear", "cvc"], "additionalProperties": false, "properties": {
                    "number": \#(OpenAPISchema.string(pattern: CardRules.numberPattern, minLength: CardRules.numberDigits.lowerBound, maxLength: CardRules.numberDigits.upperBound, description: "The card number: digits only, no spaces; it must pass the Luhn check (a 422 otherwise).")),
                    "expMonth": \#(OpenAPISchema.integer(minimum: 1, maximum: 12, description: "The expiry month (1-12).")),
                    "expYear": \#(OpenAPISchema.integer(minimum: Int64(CardRules.yearRange.lowerBound), maximum: Int64(CardRules.yearRange.upperBound), description: "The expiry year, four digits: the card is good through the end of its month (UTC).")),
                    "cvc": \#(OpenAPISchema.string(pattern: CardRules.cvcPattern, minLength: CardRules.cvcDigits.lowerBound, maxLength: CardRules.cvcDigits.upperBound, description: "Checked, never stored."))}},
                  "PaymentMethod": {"type": "object", "required": ["id", "brand", "last4", "expMonth", "expYear"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid", "description": "The vault's token: checkout takes it as paymentMethodId."},
                    "brand": \#(brand),
                    "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                    "expMonth": {"type": "integer"}, "expYear": {"type": "integer"}}},
                  "PaymentMethodPage": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/PaymentMethod"}},
                    "nextCursor": {"type": "string", "description": "Absent on the last page."}}},
                  "Payment": {"type": "object", "required": ["id", "orderId", "status", "amount", "capturedAmount", "refundedAmount"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "orderId": {"type": "string", "format": "uuid"},
                    "status": \#(status),
                    "amount": {"$ref": "#/components/schemas/Money", "description": "What was authorized."},
                    "capturedAmount": {"$ref": "#/components/schemas/Money"},
                    "refundedAmount": {"$ref": "#/components/schemas/Money"},
                    "failureCode": {"type": "string", "description": "For failed: card_declined, insufficient_funds, capture_failed or processor_error."},
                    "failureReason": {"type": "string", "description": "For failed: the reason in words."}}},
                  "PaymentPage": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Payment"}},
                    "nextCursor": {"type": "string", "description": "Absent on the last page."}}},
                  "NewRefund": {"type": "object", "required": ["reason"], "additionalProperties": false, "properties": {
                    "amount": {"type": "object", "required": ["amount", "currency"], "additionalProperties": false, "description": "Left out: all that remains refundable.", "properties": {
                      "amount": \#(OpenAPISchema.integer(minimum: 1, maximum: PaymentRules.maximumAmount, description: "Minor units (cents).")),
                      "currency": \#(OpenAPISchema.enumeration(Currency.codes, description: "The payment's currency (another is a 422)."))}},
                    "reason": \#(OpenAPISchema.text(maxLength: PaymentRules.maximumReasonLength, nonBlank: true, description: "Why, for the audit log and the customer. Trimmed; not blank."))}}
                }
              }
            }
            """#
    )
}
