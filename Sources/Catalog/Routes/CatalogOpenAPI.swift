import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Security

/// The OpenAPI description of the catalog's public routes. Every rule that ``ProductRules``,
/// ``CategoryRules``, ``SearchQuery`` and ``IfMatch`` check is stated here, from their constants
/// (``OpenAPISchema`` builds the fragments), so a request valid per the document is never a 400;
/// rules a schema cannot state (a category that must exist, SKUs unique within a body, parameters
/// that contradict each other, a cursor this server issued) answer 422.
enum CatalogOpenAPI {
    /// `draft`, `active`, `archived`.
    static let status = OpenAPISchema.enumeration(ProductStatus.allCases.map(\.rawValue))
    static let name = OpenAPISchema.text(maxLength: ProductRules.maxNameLength, nonBlank: true, description: "Trimmed; not blank.")
    static let description = OpenAPISchema.text(maxLength: ProductRules.maxDescriptionLength, multiLine: true, description: "Trimmed; may hold tabs and line breaks.")
    /// What ``SKU/isValid(_:)`` accepts.
    static let sku = OpenAPISchema.string(pattern: SKU.pattern, maxLength: SKU.maximumLength)
    /// A subset of what ``ProductRules/isWebURL(_:)`` accepts: http(s), a host, an optional port and path.
    static let imageURL = OpenAPISchema.string(
        pattern: #"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9][A-Za-z0-9.-]{0,62}(:[0-9]{1,4})?(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?$"#,
        maxLength: 2048, description: "An absolute http or https URL.")
    static let imageURLs = #"{"type": "array", "maxItems": \#(ProductRules.maxImages), "items": \#(imageURL)}"#
    static let variants = ##"{"type": "array", "minItems": 1, "maxItems": \##(ProductRules.maxVariants), "description": "SKUs must differ (a repeated one is a 422).", "items": {"$ref": "#/components/schemas/NewVariant"}}"##
    /// An entity tag list as ``IfMatch`` reads it (tags of visible ASCII, no quotes or commas inside).
    static let entityTags = OpenAPISchema.string(pattern: #"^(\*|(W/)?"[\x21\x23-\x2B\x2D-\x7E]*"( *, *(W/)?"[\x21\x23-\x2B\x2D-\x7E]*")*)$"#)
    static let ifMatch = #"{"name": "If-Match", "in": "header", "description": "The ETag of the version read: a product changed since is a 412 and nothing is written.", "schema": \#(entityTags)}"#
    static let etagHeader = #""ETag": {"description": "The product's version, quoted.", "schema": {"type": "string"}}"#
    static let attributeName = OpenAPISchema.string(pattern: "^" + #"[^\u0000-\u001F\u007F-\u009F]"# + "{1,40}$", minLength: 1, maxLength: 40)
    static let attributeValue = OpenAPISchema.text(maxLength: 100)
    static let productBody = ##"{"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}"##

    static let fragment = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "catalog", "description": "Products, variants and categories."}],
              "paths": {
                "/v1/products": {
                  "get": {
                    "tags": ["catalog"], "operationId": "listProducts",
                    "summary": "Search and browse active products (the search read model: eventually consistent with writes).",
                    "parameters": [
                      {"name": "q", "in": "query", "description": "Words to find in names and descriptions (all required; an exact name match ranks first). Trimmed; must hold a letter or digit.",
                        "schema": {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*[\\p{L}\\p{N}][^\\u0000-\\u001F\\u007F-\\u009F]*$"}},
                      {"name": "category", "in": "query", "description": "A category id: products in it or any descendant.", "schema": \#(OpenAPISchema.uuid)},
                      {"name": "min_price", "in": "query", "description": "Lowest price (the cheapest variant's), minor units.", "schema": \#(OpenAPISchema.integer(minimum: 0, maximum: OpenAPISchema.largestExactInteger))},
                      {"name": "max_price", "in": "query", "description": "Highest price (the cheapest variant's), minor units; below min_price is a 422.", "schema": \#(OpenAPISchema.integer(minimum: 0, maximum: OpenAPISchema.largestExactInteger))},
                      {"name": "attr", "in": "query", "style": "form", "explode": true,
                        "description": "Variant attributes that must match: each is a parameter attr.NAME=VALUE (attr.colour=red), up to \#(SearchQuery.maximumAttributeFilters).",
                        "schema": {"type": "object", "maxProperties": \#(SearchQuery.maximumAttributeFilters), "additionalProperties": false,
                          "patternProperties": {"^attr\\.[^\\u0000-\\u001F\\u007F-\\u009F]{1,50}$": \#(OpenAPISchema.string(pattern: "^" + #"[^\u0000-\u001F\u007F-\u009F]"# + "{1,100}$", minLength: 1, maxLength: 100))}}},
                      {"name": "sort", "in": "query", "schema": \#(OpenAPISchema.enumeration(SearchSort.allCases.map(\.rawValue))),
                        "description": "Default: relevance with q, oldest without; relevance without q is a 422."},
                      {"name": "facets", "in": "query", "description": "Also count all matches by category, attribute value and price.", "schema": {"type": "boolean", "default": false}},
                      \#(OpenAPISchema.limitParameter),
                      \#(OpenAPISchema.cursorParameter)
                    ],
                    "responses": {
                      "200": {"description": "A page of products.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductPage"}}}},
                      \#(OpenAPISchema.problemResponses([400, 422]))
                    }
                  },
                  "post": {
                    "tags": ["catalog"], "operationId": "createProduct", "security": \#(OpenAPISecurity.bearer(.catalogWrite)), "summary": "Create a product with its variants (status draft unless given; catalog.write).",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewProduct"}}}},
                    "responses": {
                      "201": {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}, \#(etagHeader)}, "content": \#(productBody)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 409, 422]))
                    }
                  }
                },
                "/v1/products/{id}": {
                  "get": {
                    "tags": ["catalog"], "operationId": "getProduct", "summary": "One active product (catalog managers also see drafts and archived ones).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter()),
                      {"name": "If-None-Match", "in": "header", "description": "The ETag of a copy held: unchanged is a 304.", "schema": \#(entityTags)}],
                    "responses": {
                      "200": {"description": "The product.", "headers": {\#(etagHeader)}, "content": \#(productBody)},
                      "304": {"description": "Not modified since the ETag given in If-None-Match.", "headers": {\#(etagHeader)}},
                      \#(OpenAPISchema.problemResponses([400, 404]))
                    }
                  },
                  "patch": {
                    "tags": ["catalog"], "operationId": "updateProduct", "security": \#(OpenAPISecurity.bearer(.catalogWrite)), "summary": "Change a product's fields (absent fields stay; variants replaces every variant; catalog.write).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter()), \#(ifMatch)],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductChanges"}}}},
                    "responses": {
                      "200": {"description": "The product as changed.", "headers": {\#(etagHeader)}, "content": \#(productBody)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 404, 409, 412, 422]))
                    }
                  },
                  "delete": {
                    "tags": ["catalog"], "operationId": "deleteProduct", "security": \#(OpenAPISecurity.bearer(.catalogWrite)), "summary": "Delete a product and its variants (publishes catalog.product.deleted; catalog.write).",
                    "parameters": [\#(OpenAPISchema.uuidPathParameter()), \#(ifMatch)],
                    "responses": {
                      "204": {"description": "Deleted."},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 404, 412]))
                    }
                  }
                },
                "/v1/categories": {
                  "get": {
                    "tags": ["catalog"], "operationId": "listCategories", "summary": "Every category, with parent ids (a tree).",
                    "responses": {
                      "200": {"description": "The categories.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false,
                        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}}}}}}}
                    }
                  },
                  "post": {
                    "tags": ["catalog"], "operationId": "createCategory", "summary": "Create a category (catalog.write).", "security": \#(OpenAPISecurity.bearer(.catalogWrite)),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["slug", "name"], "additionalProperties": false,
                      "properties": {"slug": \#(OpenAPISchema.string(pattern: "^[a-z0-9]+(-[a-z0-9]+)*$", minLength: 1, maxLength: 64)),
                        "name": \#(OpenAPISchema.text(maxLength: 100, nonBlank: true, description: "Trimmed; not blank.")),
                        "parentId": \#(OpenAPISchema.uuid)}}}}},
                    "responses": {
                      "201": {"description": "Created.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 409, 422]))
                    }
                  }
                },
                "/v1/categories/{id}": {
                  "patch": {
                    "tags": ["catalog"], "operationId": "renameCategory", "summary": "Rename a category (catalog.write).", "security": \#(OpenAPISecurity.bearer(.catalogWrite)),
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "additionalProperties": false,
                      "properties": {"name": \#(OpenAPISchema.text(maxLength: 100, nonBlank: true, description: "Trimmed; not blank."))}}}}},
                    "responses": {
                      "200": {"description": "The category.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 404]))
                    }
                  },
                  "delete": {
                    "tags": ["catalog"], "operationId": "deleteCategory", "summary": "Delete an empty category (catalog.write): 409 while products or subcategories use it.", "security": \#(OpenAPISecurity.bearer(.catalogWrite)),
                    "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                    "responses": {
                      "204": {"description": "Deleted."},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 404, 409]))
                    }
                  }
                }
              },
              "components": {
                "schemas": {
                  "Variant": {"type": "object", "required": ["sku", "attributes", "price"], "additionalProperties": false, "properties": {
                    "sku": {"type": "string"},
                    "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                    "price": {"$ref": "#/components/schemas/Money"}}},
                  "NewVariant": {"type": "object", "required": ["sku", "price"], "additionalProperties": false, "properties": {
                    "sku": \#(sku),
                    "attributes": {"type": "object", "maxProperties": \#(ProductRules.maxAttributes), "propertyNames": \#(attributeName), "additionalProperties": \#(attributeValue)},
                    "price": {"$ref": "#/components/schemas/Price"}}},
                  "Price": {"type": "object", "required": ["amount", "currency"], "additionalProperties": false, "properties": {
                    "amount": \#(OpenAPISchema.integer(minimum: 0, maximum: ProductRules.maxAmount, description: "Minor units (cents).")),
                    "currency": \#(OpenAPISchema.enumeration(Currency.codes, description: "An active ISO 4217 code."))}},
                  "Product": {"type": "object", "required": ["id", "name", "description", "categoryId", "status", "imageUrls", "variants", "createdAt", "updatedAt", "version"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "description": {"type": "string"},
                    "categoryId": {"type": "string", "format": "uuid"}, "status": \#(status),
                    "imageUrls": {"type": "array", "items": {"type": "string"}},
                    "variants": {"type": "array", "items": {"$ref": "#/components/schemas/Variant"}},
                    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
                    "version": {"type": "integer", "description": "Also the ETag; If-Match on writes checks it."}}},
                  "NewProduct": {"type": "object", "required": ["name", "categoryId", "variants"], "additionalProperties": false, "properties": {
                    "name": \#(name), "description": \#(description),
                    "categoryId": \#(OpenAPISchema.uuid), "status": \#(status),
                    "imageUrls": \#(imageURLs), "variants": \#(variants)}},
                  "ProductChanges": {"type": "object", "minProperties": 1, "additionalProperties": false, "properties": {
                    "name": \#(name), "description": \#(description), "status": \#(status),
                    "categoryId": \#(OpenAPISchema.uuid), "imageUrls": \#(imageURLs), "variants": \#(variants)}},
                  "ProductPage": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
                    "nextCursor": {"type": "string", "description": "Absent on the last page."},
                    "facets": {"type": "object", "description": "With facets=true: counts over every match.", "required": ["total", "categories", "attributes"], "properties": {
                      "total": {"type": "integer"},
                      "categories": {"type": "array", "items": {"type": "object", "required": ["id", "count"], "properties": {"id": {"type": "string"}, "count": {"type": "integer"}}}},
                      "attributes": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "object", "required": ["value", "count"],
                        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}}}},
                      "price": {"type": "object", "description": "Absent when nothing matches.", "required": ["min", "max"], "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}}}}}}},
                  "Category": {"type": "object", "required": ["id", "slug", "name"], "additionalProperties": false, "properties": {
                    "id": {"type": "string", "format": "uuid"}, "slug": {"type": "string"}, "name": {"type": "string"},
                    "parentId": {"type": "string", "format": "uuid", "description": "Absent for a top-level category."}}}
                }
              }
            }
            """#
    )
}
