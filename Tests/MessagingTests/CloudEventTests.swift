import Foundation
import Messaging
import Storage
import Testing

@Suite("CloudEvents envelope")
struct CloudEventTests {
    @Test("JSON format with the required attributes, the subject and the traceparent extension")
    func encodesCloudEventsJSON() throws {
        let event = CloudEvent(
            source: "/emporium/catalog", type: "catalog.product.created", subject: "p-1",
            data: .object(["name": .string("Shoe")]), traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        )
        let object = try #require(try JSONSerialization.jsonObject(with: try event.encoded()) as? [String: Any])
        #expect(object["specversion"] as? String == "1.0")
        #expect(object["id"] as? String == event.id)
        #expect(object["source"] as? String == "/emporium/catalog")
        #expect(object["type"] as? String == "catalog.product.created")
        #expect(object["subject"] as? String == "p-1")
        #expect(object["datacontenttype"] as? String == "application/json")
        #expect((object["data"] as? [String: Any])?["name"] as? String == "Shoe")
        #expect(object["traceparent"] as? String == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let time = try #require(object["time"] as? String)
        #expect(try Date(time, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) <= Date.now)
        #expect(try CloudEvent.decode(try event.encoded()) == event)
    }

    @Test("ids are unique and time-ordered")
    func idsAreUnique() {
        let ids = (0..<1000).map { _ in CloudEvent(source: "/s", type: "t", subject: nil, data: .null).id }
        #expect(Set(ids).count == 1000)
        #expect(ids == ids.sorted(), "IDs made later sort later, even within one millisecond")
    }

    @Test("an envelope without a required attribute is refused", arguments: ["id", "source", "type", "specversion"])
    func refusesIncompleteEnvelopes(missing: String) throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: try CloudEvent(source: "/s", type: "t", subject: nil, data: .null).encoded()) as? [String: Any]
        )
        object[missing] = missing == "specversion" ? "0.3" : ""
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: (any Error).self) { try CloudEvent.decode(data) }
    }
}
