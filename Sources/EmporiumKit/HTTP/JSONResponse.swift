import Foundation
public import Hummingbird
public import NIOCore
import NIOFoundationCompat

extension Response {
    /// A response carrying already encoded JSON, with the headers Hummingbird's JSON encoder
    /// would have set.
    public static func encodedJSON(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body)
        )
    }

    /// `value` encoded with the request's JSON encoder: for contract types, which know nothing
    /// of HTTP (so are not `ResponseEncodable`).
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, context: EmporiumRequestContext) throws -> Response {
        encodedJSON(ByteBuffer(data: try context.responseEncoder.encode(value)), status: status)
    }
}
