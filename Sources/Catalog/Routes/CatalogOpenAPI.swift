import EmporiumCore
import EmporiumKit

/// The OpenAPI description of the catalog's public routes.
enum CatalogOpenAPI {
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
                      {"name": "q", "in": "query", "description": "Words to find in names and descriptions (all required; an exact name match ranks first).", "schema": {"type": "string", "maxLength": 200}},
                      {"name": "category", "in": "query", "description": "A category id: products in it or any descendant.", "schema": {"type": "string", "format": "uuid"}},
                      {"name": "min_price", "in": "query", "description": "Lowest price (the cheapest variant's), minor units.", "schema": {"type": "integer", "minimum": 0}},
                      {"name": "max_price", "in": "query", "description": "Highest price (the cheapest variant's), minor units.", "schema": {"type": "integer", "minimum": 0}},
                      {"name": "attr.{name}", "in": "query", "description": "A variant attribute that must match, e.g. attr.colour=red (up to 10).", "schema": {"type": "string"}},
                      {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["relevance", "newest", "oldest", "price_asc", "price_desc"]},
                        "description": "Default: relevance with q, oldest without."},
                      {"name": "facets", "in": "query", "description": "Also count all matches by category, attribute value and price.", "schema": {"type": "boolean", "default": false}},
                      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                      {"name": "cursor", "in": "query", "description": "The nextCursor of the previous page (same sort).", "schema": {"type": "string"}}
                    ],
                    "responses": {
                      "200": {"description": "A page of products.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductPage"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"}
                    }
                  },
                  "post": {
                    "tags": ["catalog"], "operationId": "createProduct", "security": [{"bearer": []}], "summary": "Create a product with its variants (status draft unless given).",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewProduct"}}}},
                    "responses": {
                      "201": {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "409": {"description": "A SKU is taken.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                      "413": {"description": "Body over 1 MiB.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  }
                },
                "/v1/products/{id}": {
                  "get": {
                    "tags": ["catalog"], "operationId": "getProduct", "summary": "One active product.",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "responses": {
                      "200": {"description": "The product.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "404": {"description": "No such active product.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  },
                  "patch": {
                    "tags": ["catalog"], "operationId": "updateProduct", "security": [{"bearer": []}], "summary": "Change a product's name, description or status (absent fields stay).",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductChanges"}}}},
                    "responses": {
                      "200": {"description": "The product as changed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "404": {"description": "No such product.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  },
                  "delete": {
                    "tags": ["catalog"], "operationId": "deleteProduct", "security": [{"bearer": []}], "summary": "Delete a product and its variants (publishes catalog.product.deleted).",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "responses": {
                      "204": {"description": "Deleted."},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "404": {"description": "No such product.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  }
                },
                "/v1/categories": {
                  "get": {
                    "tags": ["catalog"], "operationId": "listCategories", "summary": "Every category, with parent ids (a tree).",
                    "responses": {
                      "200": {"description": "The categories.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"],
                        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}}}}}}}
                    }
                  },
                  "post": {
                    "tags": ["catalog"], "operationId": "createCategory", "summary": "Create a category (catalog.write).", "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["slug", "name"], "additionalProperties": false,
                      "properties": {"slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 64}, "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "parentId": {"type": "string", "format": "uuid"}}}}}},
                    "responses": {
                      "201": {"description": "Created.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "409": {"description": "The slug is taken.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  }
                },
                "/v1/categories/{id}": {
                  "patch": {
                    "tags": ["catalog"], "operationId": "renameCategory", "summary": "Rename a category (catalog.write).", "security": [{"bearer": []}],
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "additionalProperties": false,
                      "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}}}}}},
                    "responses": {
                      "200": {"description": "The category.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "404": {"description": "No such category.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  },
                  "delete": {
                    "tags": ["catalog"], "operationId": "deleteCategory", "summary": "Delete an empty category (catalog.write).", "security": [{"bearer": []}],
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "responses": {
                      "204": {"description": "Deleted."},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "404": {"description": "No such category.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                      "409": {"description": "Products or subcategories still use it.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                  }
                }
              },
              "components": {
                "schemas": {
                  "Variant": {"type": "object", "required": ["sku", "attributes", "price"], "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z0-9][A-Z0-9-]{0,63}$"},
                    "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                    "price": {"$ref": "#/components/schemas/Money"}}},
                  "Product": {"type": "object", "required": ["id", "name", "description", "categoryId", "status", "imageUrls", "variants", "createdAt", "updatedAt"], "properties": {
                    "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "description": {"type": "string"},
                    "categoryId": {"type": "string", "format": "uuid"}, "status": {"type": "string", "enum": ["draft", "active", "archived"]},
                    "imageUrls": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "variants": {"type": "array", "items": {"$ref": "#/components/schemas/Variant"}},
                    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
                    "version": {"type": "integer", "description": "Also the ETag; If-Match on writes checks it."}}},
                  "NewProduct": {"type": "object", "required": ["name", "categoryId", "variants"], "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string", "maxLength": 5000},
                    "categoryId": {"type": "string", "format": "uuid"}, "status": {"type": "string", "enum": ["draft", "active", "archived"]},
                    "imageUrls": {"type": "array", "maxItems": 20, "items": {"type": "string", "format": "uri"}},
                    "variants": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/components/schemas/Variant"}}}},
                  "ProductChanges": {"type": "object", "minProperties": 1, "additionalProperties": false, "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string", "maxLength": 5000},
                    "status": {"type": "string", "enum": ["draft", "active", "archived"]},
                    "categoryId": {"type": "string", "format": "uuid"},
                    "imageUrls": {"type": "array", "maxItems": 20, "items": {"type": "string", "format": "uri"}},
                    "variants": {"type": "array", "minItems": 1, "maxItems": 100, "description": "Replaces every variant.", "items": {"$ref": "#/components/schemas/Variant"}}}},
                  "ProductPage": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
                    "nextCursor": {"type": "string", "description": "Absent on the last page."},
                    "facets": {"type": "object", "description": "With facets=true: counts over every match.", "properties": {
                      "total": {"type": "integer"},
                      "categories": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "count": {"type": "integer"}}}},
                      "attributes": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "object",
                        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}}}},
                      "price": {"type": "object", "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}}}}}}},
                  "Category": {"type": "object", "required": ["id", "slug", "name"], "properties": {
                    "id": {"type": "string", "format": "uuid"}, "slug": {"type": "string"}, "name": {"type": "string"},
                    "parentId": {"type": "string", "format": "uuid"}}}
                }
              }
            }
            """#
    )
}
