import EmporiumKit

/// The OpenAPI descriptions of the auth and users services' public routes.
enum IdentityOpenAPI {
    static let auth = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "auth", "description": "Registration, login, tokens and signing keys."}],
              "paths": {
                "/v1/auth/register": {"post": {
                  "tags": ["auth"], "operationId": "register", "summary": "Create a customer account (password: 12 to 128 characters and at most 72 bytes in UTF-8, not a common one).",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}}}},
                  "responses": {
                    "201": {"description": "Created.", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "email", "roles"],
                      "properties": {"id": {"type": "string", "format": "uuid"}, "email": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "409": {"description": "The email has an account.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                  }}},
                "/v1/auth/login": {"post": {
                  "tags": ["auth"], "operationId": "login", "summary": "Exchange an email and password for an access token (15 minutes) and a refresh token.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}}}},
                  "responses": {
                    "200": {"description": "Tokens.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tokens"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"description": "The email or password is wrong.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                    "429": {"description": "Five failures in a row for this account from this address, or twenty from this address across accounts (attempts in flight count): wait `Retry-After` seconds.",
                      "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                  }}},
                "/v1/auth/refresh": {"post": {
                  "tags": ["auth"], "operationId": "refresh", "summary": "Exchange a refresh token for a new pair; reusing an exchanged token revokes its whole session.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshToken"}}}},
                  "responses": {
                    "200": {"description": "Tokens.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tokens"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"description": "The refresh token is unknown, expired, revoked or reused.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                  }}},
                "/v1/auth/logout": {"post": {
                  "tags": ["auth"], "operationId": "logout", "summary": "Revoke the session (token family) of a refresh token.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshToken"}}}},
                  "responses": {
                    "204": {"description": "Logged out."},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"description": "Unknown refresh token.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                  }}},
                "/.well-known/jwks.json": {"get": {
                  "tags": ["auth"], "operationId": "jwks", "summary": "The public keys that verify access tokens (RFC 7517).",
                  "responses": {"200": {"description": "The key set.", "content": {"application/jwk-set+json": {"schema": {"type": "object", "required": ["keys"],
                    "properties": {"keys": {"type": "array", "items": {"type": "object"}}}}}}}}}}
              },
              "components": {"schemas": {
                "Credentials": {"type": "object", "required": ["email", "password"], "additionalProperties": false, "properties": {
                  "email": {"type": "string", "format": "email", "maxLength": 254}, "password": {"type": "string", "minLength": 12, "maxLength": 128,
                    "description": "At most 72 bytes in UTF-8 (bcrypt reads no further): a longer one is a 400 at registration and never matches at login."}}},
                "RefreshToken": {"type": "object", "required": ["refreshToken"], "additionalProperties": false, "properties": {"refreshToken": {"type": "string"}}},
                "Tokens": {"type": "object", "required": ["accessToken", "refreshToken", "tokenType", "expiresIn"], "properties": {
                  "accessToken": {"type": "string"}, "refreshToken": {"type": "string"}, "tokenType": {"type": "string", "enum": ["Bearer"]},
                  "expiresIn": {"type": "integer", "description": "Seconds."}}}
              }}
            }
            """#
    )

    static let users = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "users", "description": "Profiles, addresses, roles and the audit log."}],
              "paths": {
                "/v1/users/me": {
                  "get": {"tags": ["users"], "operationId": "getMe", "summary": "The caller's profile.", "security": [{"bearer": []}],
                    "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "404": {"description": "Not created yet (moments after registration).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}},
                  "patch": {"tags": ["users"], "operationId": "updateMe", "summary": "Change the caller's name or phone (an empty string clears).", "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false,
                      "properties": {"name": {"type": "string", "maxLength": 200}, "phone": {"type": "string"}}}}}},
                    "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                      "403": {"$ref": "#/components/responses/Forbidden"}}}
                },
                "/v1/users/me/addresses": {
                  "get": {"tags": ["users"], "operationId": "listMyAddresses", "summary": "The caller's addresses, oldest first, a page at a time.", "security": [{"bearer": []}],
                    "parameters": [
                      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                      {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "A page of addresses.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"],
                      "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}}, "nextCursor": {"type": "string"}}}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}}},
                  "post": {"tags": ["users"], "operationId": "addMyAddress", "summary": "Add an address (at most 20 per account).", "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewAddress"}}}},
                    "responses": {"201": {"description": "Added.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Address"}}}},
                      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                      "403": {"$ref": "#/components/responses/Forbidden"},
                      "422": {"description": "The account has 20 addresses already (`errors[0].field` is `addresses`).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}
                },
                "/v1/users/{id}": {"get": {"tags": ["users"], "operationId": "getUser", "summary": "Any user's profile (users.read).", "security": [{"bearer": []}],
                  "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                  "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                    "404": {"description": "No such user.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
                "/v1/users/{id}/roles": {"put": {"tags": ["users"], "operationId": "setUserRoles", "summary": "Replace a user's roles (users.manage_roles; audited).", "security": [{"bearer": []}],
                  "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["roles"], "additionalProperties": false,
                    "properties": {"roles": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["customer", "support", "catalog_manager", "admin"]}}}}}}},
                  "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                    "404": {"description": "No such user.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
                "/v1/audit": {"get": {"tags": ["users"], "operationId": "listAudit", "summary": "The hash-linked audit log, oldest first (audit.read).", "security": [{"bearer": []}],
                  "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
                  "responses": {"200": {"description": "A page of entries.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}, "nextCursor": {"type": "string"}}}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"}}}}
              },
              "components": {"schemas": {
                "Profile": {"type": "object", "required": ["id", "email", "roles", "createdAt", "updatedAt"], "properties": {
                  "id": {"type": "string", "format": "uuid"}, "email": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"},
                  "roles": {"type": "array", "items": {"type": "string"}},
                  "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}}},
                "NewAddress": {"type": "object", "required": ["line1", "city", "postalCode", "country"], "additionalProperties": false, "properties": {
                  "line1": {"type": "string", "maxLength": 200}, "line2": {"type": "string", "maxLength": 200}, "city": {"type": "string", "maxLength": 100},
                  "region": {"type": "string", "maxLength": 100}, "postalCode": {"type": "string", "maxLength": 20},
                  "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2."}}},
                "Address": {"type": "object", "required": ["id", "line1", "city", "postalCode", "country"], "properties": {
                  "id": {"type": "string", "format": "uuid"}, "line1": {"type": "string"}, "line2": {"type": "string"}, "city": {"type": "string"},
                  "region": {"type": "string"}, "postalCode": {"type": "string"}, "country": {"type": "string"}}},
                "AuditEntry": {"type": "object", "required": ["sequence", "at", "actor", "action", "target", "details", "previousHash", "hash"], "properties": {
                  "sequence": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                  "action": {"type": "string"}, "target": {"type": "string"}, "details": {"type": "object", "additionalProperties": {"type": "string"}},
                  "previousHash": {"type": "string"}, "hash": {"type": "string"}}}
              }}
            }
            """#
    )
}
