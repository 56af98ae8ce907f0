public import EmporiumCore
import Foundation
import NIOFoundationCompat
public import Hummingbird

/// The routes every process serves: `/metrics` and `/openapi.json` (health is ``HealthController``).
public struct PlatformController: Sendable {
    private let metrics: MetricsRegistry
    private let openAPI: @Sendable () -> OpenAPIDocument

    /// - Parameters:
    ///   - metrics: The registry `/metrics` exposes.
    ///   - openAPI: The document `/openapi.json` serves, built once routes are known.
    public init(metrics: MetricsRegistry, openAPI: @escaping @Sendable () -> OpenAPIDocument) {
        self.metrics = metrics
        self.openAPI = openAPI
    }

    public func addRoutes(to router: ServiceRouter) {
        router.get("/metrics") { _, _ in
            await self.metrics.sample()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition()))
            )
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: self.openAPI().encoded()))
            )
        }
    }

    /// The OpenAPI description of the platform routes and the shared schemas and problem
    /// responses (``OpenAPISchema/problemResponses(_:)`` refers to them).
    public static let openAPI = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "platform", "description": "Health, metrics and this document; served by every process."}],
              "paths": {
                "/health/live": {"get": {"tags": ["platform"], "summary": "Liveness: the process answers.", "operationId": "healthLive",
                  "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {"type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["up"]}}}}}}}}},
                "/health/ready": {"get": {"tags": ["platform"], "summary": "Readiness: every dependency of the services in this process answers.", "operationId": "healthReady",
                  "responses": {"200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
                                "503": {"description": "A dependency is down.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}}}},
                "/metrics": {"get": {"tags": ["platform"], "summary": "Prometheus metrics.", "operationId": "metrics",
                  "responses": {"200": {"description": "Text exposition format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
                "/openapi.json": {"get": {"tags": ["platform"], "summary": "This OpenAPI document.", "operationId": "openAPI",
                  "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
              },
              "components": {
                "responses": {
                  "BadRequest": {"description": "The request breaks this document (malformed JSON, a missing or unknown member, a null, a value outside its schema, a bad parameter); `errors` names each field or parameter.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "Unauthorized": {"description": "No valid access token (`WWW-Authenticate` says why), or wrong credentials.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "Forbidden": {"description": "The token's roles do not grant the permission the route needs (named in `detail`).",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "NotFound": {"description": "No resource has the id.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "Conflict": {"description": "The request conflicts with stored data (a SKU, slug or email already used; a category still in use).",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "PreconditionFailed": {"description": "If-Match does not match the current version: nothing was written.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "ContentTooLarge": {"description": "The body is larger than 1 MiB.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "UnsupportedMediaType": {"description": "The body is not application/json.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "Unprocessable": {"description": "Well-formed per this document, but a rule it states in words refuses it (an unknown referenced id, a repeated value, contradicting parameters, a cursor this server did not issue, a password the policy refuses); `errors` names each.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "TooManyRequests": {"description": "Too many attempts: wait `Retry-After` seconds.",
                    "headers": {"Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"}}},
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "ServiceUnavailable": {"description": "Something this request needs did not answer (another service, named in `detail`, or a store); try again shortly.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "securitySchemes": {
                  "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (ES256, 15 minutes; keys at /.well-known/jwks.json)"}
                },
                "schemas": {
                "Problem": {"type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status"], "additionalProperties": false,
                  "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "instance": {"type": "string"}, "requestId": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["detail"], "additionalProperties": false,
                      "properties": {"field": {"type": "string"}, "parameter": {"type": "string"}, "detail": {"type": "string"}}}}}},
                "Money": {"type": "object", "required": ["amount", "currency"], "additionalProperties": false,
                  "properties": {"amount": {"type": "integer", "description": "Minor units (cents)."},
                    "currency": \#(OpenAPISchema.enumeration(Currency.codes, description: "An active ISO 4217 code."))}},
                "Readiness": {"type": "object", "required": ["status", "checks"], "properties": {"status": {"type": "string", "enum": ["up", "down"]},
                  "checks": {"type": "object", "additionalProperties": {"type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["up", "down"]}, "error": {"type": "string"}}}}}}
              }}
            }
            """#
    )
}
