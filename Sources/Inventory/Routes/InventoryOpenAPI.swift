import EmporiumContracts
import EmporiumKit
import Security

/// The OpenAPI description of the inventory's public routes. Every rule ``ReservationRules``
/// and ``StockRules`` check on them is stated here, from their constants, so a request valid per
/// the document is never a 400. The internal routes (`/internal/v1/inventory/...`) are for other
/// services and are not described.
enum InventoryOpenAPI {
    static let skuParameter = #"{"name": "sku", "in": "path", "required": true, "description": "The SKU (a variant of a catalog product).", "schema": \#(OpenAPISchema.string(pattern: SKU.pattern, minLength: 1, maxLength: SKU.maximumLength))}"#
    static let stockLevel = ##"{"application/json": {"schema": {"$ref": "#/components/schemas/StockLevel"}}}"##

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "inventory", "description": "Stock levels of SKUs (reservations are made by orders through internal routes)."}],
              "paths": {
                "/v1/inventory/{sku}": {
                  "get": {
                    "tags": ["inventory"], "operationId": "getStock",
                    "summary": "An SKU's stock: units on hand, reserved for orders, and available (on hand less reserved).",
                    "parameters": [\#(skuParameter)],
                    "responses": {
                      "200": {"description": "The SKU's stock.", "content": \#(stockLevel)},
                      \#(OpenAPISchema.problemResponses([400, 404]))
                    }
                  },
                  "put": {
                    "tags": ["inventory"], "operationId": "adjustStock", "security": \#(OpenAPISecurity.bearer(.inventoryWrite)),
                    "summary": "Set an SKU's units on hand so that `available` are available (on hand = available + reserved); audited, publishes inventory.stock.adjusted (inventory.write).",
                    "parameters": [\#(skuParameter)],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StockAdjustment"}}}},
                    "responses": {
                      "200": {"description": "The SKU's stock afterwards.", "content": \#(stockLevel)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 404]))
                    }
                  }
                }
              },
              "components": {
                "schemas": {
                  "StockLevel": {"type": "object", "required": ["sku", "available", "onHand", "reserved"], "additionalProperties": false, "properties": {
                    "sku": {"type": "string"},
                    "available": {"type": "integer", "minimum": 0, "description": "onHand - reserved."},
                    "onHand": {"type": "integer", "minimum": 0},
                    "reserved": {"type": "integer", "minimum": 0, "description": "Units held for orders not yet shipped."}}},
                  "StockAdjustment": {"type": "object", "required": ["available"], "additionalProperties": false, "properties": {
                    "available": \#(OpenAPISchema.integer(minimum: 0, maximum: Int64(StockRules.maximumAvailable), description: "Units to make available."))}}
                }
              }
            }
            """#
    )
}
