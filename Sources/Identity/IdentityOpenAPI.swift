import EmporiumContracts
import EmporiumKit
import Security

/// The OpenAPI descriptions of the auth and users services' public routes, stating every rule
/// ``IdentityRules``, ``PasswordPolicy`` and ``ProfileRules`` check from their constants
/// (``OpenAPISchema`` builds the fragments). Password rules a schema cannot state (common,
/// a sequence, built from the email) answer 422.
enum IdentityOpenAPI {
    /// What ``IdentityRules/normalizedEmail(_:)`` accepts, in ASCII: a local part of 1–64
    /// characters and a domain of at least two labels of letters, digits and inner hyphens.
    static let email = OpenAPISchema.string(
        pattern: #"^[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~.-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"#,
        maxLength: 254, description: "An email address; stored trimmed and in lower case.")
    /// A new password: its lengths from ``PasswordPolicy``; the rest of the policy is a 422.
    static let newPassword = OpenAPISchema.text(
        minLength: PasswordPolicy.minimumLength, maxLength: PasswordPolicy.maximumLength, maxUTF8Bytes: PasswordPolicy.maximumBytes,
        description: "\(PasswordPolicy.minimumLength) to \(PasswordPolicy.maximumLength) characters and at most \(PasswordPolicy.maximumBytes) bytes in UTF-8 (bcrypt reads no further); a common password, one of two or fewer distinct characters, a simple sequence or one containing the email's local part is a 422.")
    /// `+44 20 7946 0958`: digits, spaces, `()-.` and a leading `+`; or blank, which clears it.
    static let phone = OpenAPISchema.string(
        pattern: #"^ *(\+?[ ().-]*([0-9][ ().-]*){\#(ProfileRules.phoneDigits.lowerBound),\#(ProfileRules.phoneDigits.upperBound)})?$"#,
        description: "\(ProfileRules.phoneDigits.lowerBound) to \(ProfileRules.phoneDigits.upperBound) digits with spaces, ()-. and a leading +; blank clears it.")
    static let refreshToken = #"{"type": "object", "required": ["refreshToken"], "additionalProperties": false, "properties": {"refreshToken": \#(OpenAPISchema.text(description: "A refresh token (43 characters of base64url); any other is a 401."))}}"#
    static let problemBody = ##"{"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}"##

    static let auth = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "auth", "description": "Registration, login, tokens and signing keys."}],
              "paths": {
                "/v1/auth/register": {"post": {
                  "tags": ["auth"], "operationId": "register", "summary": "Create a customer account.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["email", "password"], "additionalProperties": false,
                    "properties": {"email": \#(email), "password": \#(newPassword)}}}}},
                  "responses": {
                    "201": {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}},
                      "content": {"application/json": {"schema": {"type": "object", "required": ["id", "email", "roles"], "additionalProperties": false,
                      "properties": {"id": {"type": "string", "format": "uuid"}, "email": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}}}}},
                    \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [409, 422]))
                  }}},
                "/v1/auth/login": {"post": {
                  "tags": ["auth"], "operationId": "login", "summary": "Exchange an email and password for an access token (15 minutes) and a refresh token.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["email", "password"], "additionalProperties": false,
                    "properties": {"email": \#(OpenAPISchema.text()), "password": \#(OpenAPISchema.text())}}}}},
                  "responses": {
                    "200": {"description": "Tokens.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tokens"}}}},
                    "401": {"description": "The email or password is wrong.", "content": \#(problemBody)},
                    \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [429]))
                  }}},
                "/v1/auth/refresh": {"post": {
                  "tags": ["auth"], "operationId": "refresh", "summary": "Exchange a refresh token for a new pair; reusing an exchanged token revokes its whole session.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": \#(refreshToken)}}},
                  "responses": {
                    "200": {"description": "Tokens.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tokens"}}}},
                    "401": {"description": "The refresh token is unknown, expired, revoked or reused.", "content": \#(problemBody)},
                    \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems))
                  }}},
                "/v1/auth/logout": {"post": {
                  "tags": ["auth"], "operationId": "logout", "summary": "Revoke the session (token family) of a refresh token.",
                  "requestBody": {"required": true, "content": {"application/json": {"schema": \#(refreshToken)}}},
                  "responses": {
                    "204": {"description": "Logged out."},
                    "401": {"description": "Unknown refresh token.", "content": \#(problemBody)},
                    \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems))
                  }}},
                "/.well-known/jwks.json": {"get": {
                  "tags": ["auth"], "operationId": "jwks", "summary": "The public keys that verify access tokens (RFC 7517).",
                  "responses": {"200": {"description": "The key set.", "content": {"application/jwk-set+json": {"schema": {"type": "object", "required": ["keys"],
                    "properties": {"keys": {"type": "array", "items": {"type": "object", "required": ["kty", "kid"]}}}}}}}}}}
              },
              "components": {"schemas": {
                "Tokens": {"type": "object", "required": ["accessToken", "refreshToken", "tokenType", "expiresIn"], "additionalProperties": false, "properties": {
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
                  "get": {"tags": ["users"], "operationId": "getMe", "summary": "The caller's profile.", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                      "404": {"description": "Not created yet (moments after registration).", "content": \#(problemBody)},
                      \#(OpenAPISchema.problemResponses([401, 403]))}},
                  "patch": {"tags": ["users"], "operationId": "updateMe", "summary": "Change the caller's name or phone (absent fields stay; a blank one clears).", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false,
                      "properties": {"name": \#(OpenAPISchema.text(maxLength: ProfileRules.maxNameLength, description: "Trimmed; blank clears it.")), "phone": \#(phone)}}}}},
                    "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                      "404": {"description": "Not created yet (moments after registration).", "content": \#(problemBody)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403]))}}
                },
                "/v1/users/me/addresses": {
                  "get": {"tags": ["users"], "operationId": "listMyAddresses", "summary": "The caller's addresses, oldest first, a page at a time.", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "parameters": [\#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)],
                    "responses": {"200": {"description": "Addresses.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false,
                      "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}}, "nextCursor": {"type": "string"}}}}}},
                      \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))}},
                  "post": {"tags": ["users"], "operationId": "addMyAddress", "summary": "Add an address (at most \#(ProfileRules.maximumAddresses) per account: one more is a 422 naming `addresses`).", "security": \#(OpenAPISecurity.bearer(.ownAccount)),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewAddress"}}}},
                    "responses": {"201": {"description": "Added.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Address"}}}},
                      "404": {"description": "The caller's profile is not created yet.", "content": \#(problemBody)},
                      \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 422]))}}
                },
                "/v1/users": {"get": {"tags": ["users"], "operationId": "listUsers", "summary": "Every user's profile, oldest first; `email` finds one account, however its case is typed (users.read).", "security": \#(OpenAPISecurity.bearer(.usersRead)),
                  "parameters": [{"name": "email", "in": "query", "required": false, "description": "The account's email, in any case or composition.", "schema": \#(OpenAPISchema.text(maxLength: 320))}, \#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)],
                  "responses": {"200": {"description": "A page of profiles.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false,
                    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}}, "nextCursor": {"type": "string"}}}}}},
                    \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))}}},
                "/v1/users/{id}": {"get": {"tags": ["users"], "operationId": "getUser", "summary": "Any user's profile (users.read).", "security": \#(OpenAPISecurity.bearer(.usersRead)),
                  "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                  "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                    \#(OpenAPISchema.problemResponses([400, 401, 403, 404]))}}},
                "/v1/users/{id}/roles": {"put": {"tags": ["users"], "operationId": "setUserRoles", "summary": "Replace a user's roles (users.manage_roles; audited).", "security": \#(OpenAPISecurity.bearer(.usersManageRoles)),
                  "parameters": [\#(OpenAPISchema.uuidPathParameter())],
                  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["roles"], "additionalProperties": false,
                    "properties": {"roles": {"type": "array", "minItems": 1, "items": \#(OpenAPISchema.enumeration(Role.allCases.map(\.rawValue)))}}}}}},
                  "responses": {"200": {"description": "The profile.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                    \#(OpenAPISchema.problemResponses(OpenAPISchema.bodyProblems + [401, 403, 404]))}}},
                "/v1/audit": {"get": {"tags": ["users"], "operationId": "listAudit", "summary": "The hash-linked audit log, oldest first (audit.read).", "security": \#(OpenAPISecurity.bearer(.auditRead)),
                  "parameters": [\#(OpenAPISchema.limitParameter), \#(OpenAPISchema.cursorParameter)],
                  "responses": {"200": {"description": "A page of entries.", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "additionalProperties": false,
                    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}, "nextCursor": {"type": "string"}}}}}},
                    \#(OpenAPISchema.problemResponses([400, 401, 403, 422]))}}}
              },
              "components": {"schemas": {
                "Profile": {"type": "object", "required": ["id", "email", "roles", "createdAt", "updatedAt"], "additionalProperties": false, "properties": {
                  "id": {"type": "string", "format": "uuid"}, "email": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"},
                  "roles": {"type": "array", "items": {"type": "string"}},
                  "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}}},
                "NewAddress": \#(PostalAddressRules.openAPISchema),
                "Address": {"type": "object", "required": ["id", "line1", "city", "postalCode", "country"], "additionalProperties": false, "properties": {
                  "id": {"type": "string", "format": "uuid"}, "line1": {"type": "string"}, "line2": {"type": "string"}, "city": {"type": "string"},
                  "region": {"type": "string"}, "postalCode": {"type": "string"}, "country": {"type": "string", "pattern": "^[A-Z]{2}$"}}},
                "AuditEntry": {"type": "object", "required": ["sequence", "at", "actor", "action", "target", "details", "previousHash", "hash"], "additionalProperties": false, "properties": {
                  "sequence": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                  "action": {"type": "string"}, "target": {"type": "string"}, "details": {"type": "object", "additionalProperties": {"type": "string"}},
                  "previousHash": {"type": "string"}, "hash": {"type": "string"}}}
              }}
            }
            """#
    )
}
