import EmporiumContracts
import EmporiumKit
import Security

/// The OpenAPI description of the cart's routes. Every rule the handlers check on input is stated
/// here from ``CartRules``' and ``SKU``'s constants, so a request valid per the document is never
/// a 400; rules that depend on the catalog, the inventory or the cart's content (an unknown or
/// inactive SKU, stock, the resulting quantity, the line limit, one currency) answer 422.
enum CartOpenAPI {
    static let sku = OpenAPISchema.string(pattern: SKU.pattern, maxLength: SKU.maximumLength)
    static let quantity = OpenAPISchema.integer(minimum: 1, maximum: Int64(CartRules.maximumQuantity), description: "Units.")
    static let cartIDPattern = "^[A-Za-z0-9_-]{\(GuestCartID.length)}$"
    /// `X-Cart-Id` in a request: any value; only one the server issued finds a cart.
    static let cartIDParameter = #"{"name": "X-Cart-Id", "in": "header", "required": false, "schema": {"type": "string"}, "description": "A guest cart's id, as a previous answer gave it. Missing, malformed or unknown: a new cart under a new id. Ignored with an access token (the user's cart)."}"#
    static let skuParameter = #"{"name": "sku", "in": "path", "required": true, "schema": \#(sku)}"#
    static let cartAnswer = ##"""
        "200": {"description": "The cart after the request, priced now.",
          "headers": {"X-Cart-Id": {"description": "For a guest (no access token): the id of the cart to send next time; a new one when the cart named did not exist. Absent for a signed-in user.",
            "schema": {"type": "string", "pattern": "\##(cartIDPattern)"}}},
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Cart"}}}}
        """##
    /// A guest needs no token; a token given must be valid.

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "cart", "description": "Carts of guests (by a server-issued X-Cart-Id) and signed-in users, priced from the catalog when read."}],
              "paths": {
                "/v1/cart": {
                  "get": {
                    "tags": ["cart"], "operationId": "getCart", "security": \#(OpenAPISecurity.optionalBearer),
                    "summary": "The cart: each line priced at the catalog's current price and checked against current stock.",
                    "parameters": [\#(cartIDParameter)],
                    "responses": {\#(cartAnswer), \#(OpenAPISchema.problemResponses([401, 403, 503]))}
                  },
                  "delete": {
                    "tags": ["cart"], "operationId": "clearCart", "security": \#(OpenAPISecurity.optionalBearer),
                    "summary": "Empty the cart.",
                    "parameters": [\#(cartIDParameter)],
                    "responses": {\#(cartAnswer), \#(OpenAPISchema.problemResponses([401, 403, 503]))}
                  }
                },
                "/v1/cart/items": {
                  "post": {
                    "tags": ["cart"], "operationId": "addCartItem", "security": \#(OpenAPISecurity.optionalBearer),
                    "summary": "Add units of a SKU (to its line when the cart has one). The SKU must exist and its product be active, the line's resulting quantity be available and at most \#(CartRules.maximumQuantity), the cart hold at most \#(CartRules.maximumLines) lines in one currency: else a 422 naming sku or quantity.",
                    "parameters": [\#(cartIDParameter)],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewCartItem"}}}},
                    "responses": {\#(cartAnswer), \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 422, 503]))}
                  }
                },
                "/v1/cart/items/{sku}": {
                  "patch": {
                    "tags": ["cart"], "operationId": "setCartItemQuantity", "security": \#(OpenAPISecurity.optionalBearer),
                    "summary": "Set a line's quantity (404 when the cart has no line for the SKU; 422 as for adding).",
                    "parameters": [\#(skuParameter), \#(cartIDParameter)],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CartItemQuantity"}}}},
                    "responses": {\#(cartAnswer), \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 404, 422, 503]))}
                  },
                  "delete": {
                    "tags": ["cart"], "operationId": "removeCartItem", "security": \#(OpenAPISecurity.optionalBearer),
                    "summary": "Remove a line (nothing happens when there is none).",
                    "parameters": [\#(skuParameter), \#(cartIDParameter)],
                    "responses": {\#(cartAnswer), \#(OpenAPISchema.problemResponses([400, 401, 403, 503]))}
                  }
                },
                "/v1/cart/merge": {
                  "post": {
                    "tags": ["cart"], "operationId": "mergeGuestCart", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "After signing in: add the lines of the guest cart in X-Cart-Id to the user's cart (quantities of one SKU add up, at most \#(CartRules.maximumQuantity)) and delete the guest cart, so a retry adds nothing. A malformed or unknown id merges nothing. Carts in two currencies, or more than \#(CartRules.maximumLines) lines together, are a 422 and nothing is merged.",
                    "parameters": [{"name": "X-Cart-Id", "in": "header", "required": true, "schema": {"type": "string"}, "description": "The guest cart's id."}],
                    "responses": {
                      "200": {"description": "The user's cart after the merge, priced now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Cart"}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422, 503]))
                    }
                  }
                }
              },
              "components": {
                "schemas": {
                  "NewCartItem": {"type": "object", "required": ["sku", "quantity"], "additionalProperties": false, "properties": {
                    "sku": \#(sku), "quantity": \#(quantity)}},
                  "CartItemQuantity": {"type": "object", "required": ["quantity"], "additionalProperties": false, "properties": {
                    "quantity": \#(quantity)}},
                  "Cart": {"type": "object", "required": ["id", "lines", "total", "itemCount", "hasIssues"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "description": "The guest cart's id (as X-Cart-Id), or the signed-in user's id."},
                    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/CartLine"}, "description": "By SKU."},
                    "total": {"$ref": "#/components/schemas/Money", "description": "The sum of the lineTotal of the lines that are available (flagged lines are left out), in the cart's currency (that of its first line; USD when empty)."},
                    "itemCount": {"type": "integer", "description": "Units in the lines counted in total."},
                    "hasIssues": {"type": "boolean", "description": "Whether some line is flagged (available false)."}}},
                  "CartLine": {"type": "object", "required": ["sku", "quantity", "available", "issues"], "additionalProperties": false, "properties": {
                    "sku": {"type": "string"},
                    "quantity": {"type": "integer"},
                    "productId": {"type": "string", "format": "uuid", "description": "Absent, with name, attributes, unitPrice and lineTotal, when the catalog no longer has the SKU."},
                    "name": {"type": "string", "description": "The product's name."},
                    "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                    "unitPrice": {"$ref": "#/components/schemas/Money", "description": "The catalog's price now."},
                    "lineTotal": {"$ref": "#/components/schemas/Money", "description": "unitPrice × quantity."},
                    "available": {"type": "boolean", "description": "Whether the line can be bought as it is (no issues); only such lines count in total."},
                    "availableQuantity": {"type": "integer", "description": "With the issue insufficient_stock: the units available now."},
                    "issues": {"type": "array", "items": \#(OpenAPISchema.enumeration(LineIssue.allCases.map(\.rawValue))),
                      "description": "product_removed: the catalog no longer has the SKU; product_unavailable: the product is a draft or archived; insufficient_stock: fewer units available than the line holds; currency_changed: the price is now in another currency than the cart's."}}}
                }
              }
            }
            """#
    )
}
