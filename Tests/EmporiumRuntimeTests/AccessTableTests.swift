import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Security
import Storage
import Testing

/// The services' OpenAPI documents say which permissions each operation needs (the gateway
/// answers 401 and 403 from them); their handlers must say the same, operation by operation.
@Suite("One access table: the documents and the handlers")
struct AccessTableTests {
    static let withoutGateway = ServiceTable(modules: ServiceTable.standard.modules.filter { $0.name != "gateway" })

    /// Every documented operation that needs a token: method, path with its parameters filled in.
    static func operations(_ platform: EmporiumPlatform) -> [(method: String, path: String)] {
        var operations: [(String, String)] = []
        for service in platform.services {
            for (path, item) in service.openAPI.paths where path.hasPrefix("/v1/") {
                for method in (item.objectValue ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                    let filled = path.split(separator: "/").map { $0.hasPrefix("{") ? "0190b2f0-0000-7000-8000-00000000abcd" : String($0) }
                    operations.append((method.uppercased(), "/" + filled.joined(separator: "/")))
                }
            }
        }
        return operations.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    @Test("every permission the documents name is one the role table knows")
    func documentsNameKnownPermissions() async throws {
        try await TestPlatform.withClient(.sqlite, table: Self.withoutGateway) { _, platform in
            let requirements = AccessRequirements(platform.services.map(\.openAPI))
            #expect(requirements.unknownPermissions.isEmpty)
        }
    }

    @Test("for every role and every operation that needs a token, the handler forbids exactly what the document forbids")
    func handlersForbidWhatTheDocumentsForbid() async throws {
        try await TestPlatform.withClient(.sqlite, table: Self.withoutGateway) { client, platform in
            let requirements = AccessRequirements(platform.services.map(\.openAPI))
            var checked = 0
            for role in Role.allCases {
                let authorization = try await TestPlatform.authorization(platform, roles: [role])
                let principal = Principal(subject: "x", roles: [role], tokenID: "x", expiresAt: .distantFuture)
                for (method, path) in Self.operations(platform) {
                    let requirement = requirements.requirement(method: method, path: path)
                    guard requirement.needsToken else { continue }
                    let response = try await client.execute(
                        uri: path, method: HTTPRequest.Method(rawValue: method)!,
                        headers: [.authorization: authorization, .contentType: "application/json", .init("Idempotency-Key")!: "access-table"],
                        body: method == "GET" || method == "DELETE" ? nil : ByteBuffer(string: "{}"))
                    let forbidden = response.status == .forbidden
                    #expect(
                        forbidden == !requirement.allows(principal),
                        "\(role.rawValue) \(method) \(path): the document says \(requirement.allows(principal) ? "allowed" : "forbidden"), the handler answered \(response.status.code) \(String(buffer: response.body))")
                    checked += 1
                }
            }
            #expect(checked > 100, "every role against every operation that needs a token")
        }
    }
}
