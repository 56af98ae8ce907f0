import EmporiumKit
import Security

/// The OpenAPI description of the recommendations routes. The one rule the handlers check on
/// input besides the id's form, `limit`, is stated here from ``RecommendationRules``' constants,
/// so a request valid per the document is never a 400.
enum RecommendationsOpenAPI {
    static let limit = #"{"name": "limit", "in": "query", "description": "How many products to list at most.", "schema": \#(OpenAPISchema.integer(minimum: 1, maximum: Int64(RecommendationRules.maximumLimit), default: Int64(RecommendationRules.defaultLimit)))}"#
    static let list = ##"{"application/json": {"schema": {"$ref": "#/components/schemas/RecommendationList"}}}"##
    static let reasons = OpenAPISchema.enumeration(RecommendationReason.allCases.map(\.rawValue))

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "recommendations", "description": "Products bought together, and popular products, from confirmed orders."}],
              "paths": {
                "/v1/recommendations/products/{id}": {
                  "get": {
                    "tags": ["recommendations"], "operationId": "getProductRecommendations",
                    "summary": "Products to show with an active product: those bought together with it (normalised co-purchase score), then the popular products of its category. Never the product itself, nothing not active, nothing out of stock (unless the inventory cannot be asked).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter()), \#(limit)],
                    "responses": {
                      "200": {"description": "The list, best first (possibly empty).", "content": \#(list)},
                      \#(OpenAPISchema.problemResponses([400, 404]))
                    }
                  }
                },
                "/v1/recommendations/popular": {
                  "get": {
                    "tags": ["recommendations"], "operationId": "getPopularProducts",
                    "summary": "The shop's popular products: those in the most confirmed orders of the popularity window, most first; active and in stock only (unless the inventory cannot be asked). Empty before the first orders.",
                    "parameters": [\#(limit)],
                    "responses": {
                      "200": {"description": "The list, most ordered first (possibly empty).", "content": \#(list)},
                      \#(OpenAPISchema.problemResponses([400]))
                    }
                  }
                },
                "/v1/recommendations/me": {
                  "get": {
                    "tags": ["recommendations"], "operationId": "getMyRecommendations", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "summary": "Products for the caller (account.own): those bought together with what they bought, then popular products of their categories and of the shop. Never what they bought, nothing not active or out of stock.",
                    "parameters": [\#(limit)],
                    "responses": {
                      "200": {"description": "The list, best first (possibly empty).", "content": \#(list)},
                      \#(OpenAPISchema.problemResponses([400, 401, 403]))
                    }
                  }
                }
              },
              "components": {
                "schemas": {
                  "Recommendation": {"type": "object", "required": ["id", "name", "categoryId", "score", "reason"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "categoryId": {"type": "string"},
                    "score": {"type": "number", "minimum": 0, "description": "bought_together: the normalised co-purchase score (a product's list: cosine, 0-1; the caller's: summed over what they bought); popular: orders in the popularity window."},
                    "reason": \#(reasons)}},
                  "RecommendationList": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Recommendation"}}}}
                }
              }
            }
            """#
    )
}
