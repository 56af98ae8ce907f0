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
            Response(
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

    /// The OpenAPI description of the platform routes and the shared schemas.
    public static let openAPI = OpenAPIFragment(
        json: #"""
            {
              "tags": [{"name": "platform", "description": "Health, metrics and this document; served by every process."}],
              "paths": {
                "/health/live": {"get": {"tags": ["platform"], "summary": "Liveness: the process answers.", "operationId": "healthLive",
                  "responses": {"200": {"description": "Alive."}}}},
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
                  "BadRequest": {"description": "Invalid input; `errors` names each field or parameter.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "Unauthorized": {"description": "No valid access token (`WWW-Authenticate` says why).",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "Forbidden": {"description": "The token's roles do not grant the permission the route needs (named in `detail`).",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "securitySchemes": {
                  "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (ES256, 15 minutes; keys at /.well-known/jwks.json)"}
                },
                "schemas": {
                "Problem": {"type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status"],
                  "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "instance": {"type": "string"}, "requestId": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["detail"],
                      "properties": {"field": {"type": "string"}, "parameter": {"type": "string"}, "detail": {"type": "string"}}}}}},
                "Money": {"type": "object", "required": ["amount", "currency"],
                  "properties": {"amount": {"type": "integer", "description": "Minor units (cents)."},
                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."}}},
                "Readiness": {"type": "object", "properties": {"status": {"type": "string", "enum": ["up", "down"]},
                  "checks": {"type": "object", "additionalProperties": {"type": "object",
                    "properties": {"status": {"type": "string"}, "error": {"type": "string"}}}}}}
              }}
            }
            """#
    )
}
