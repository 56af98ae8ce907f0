import NIOCore

/// One Kafka API as this client implements it: its key, the versions it can speak and the first
/// flexible version (KIP-482: compact strings and arrays, tagged fields, request header v2).
public struct KafkaAPI: Sendable, Hashable, CustomStringConvertible {
    /// The API key on the wire.
    public let key: Int16
    /// The name the protocol guide uses, e.g. `Metadata`.
    public let name: String
    /// The versions this client can encode and decode.
    public let versions: ClosedRange<Int16>
    /// The first flexible version, or nil when none of ours is flexible.
    public let firstFlexibleVersion: Int16?

    /// Whether `version` is a flexible version.
    public func isFlexible(_ version: Int16) -> Bool {
        firstFlexibleVersion.map { version >= $0 } ?? false
    }

    /// Request header version: 2 for flexible versions (adds tagged fields), else 1.
    func requestHeaderVersion(_ version: Int16) -> Int16 {
        isFlexible(version) ? 2 : 1
    }

    /// Whether the response header carries tagged fields (response header v1). ApiVersions
    /// always answers with header v0, so that a client can read the answer whatever it sent.
    func responseHeaderIsFlexible(_ version: Int16) -> Bool {
        self.key != Self.apiVersions.key && isFlexible(version)
    }

    /// "Metadata (3)".
    public var description: String { "\(name) (\(key))" }

    public static let produce = KafkaAPI(key: 0, name: "Produce", versions: 3...9, firstFlexibleVersion: 9)
    public static let fetch = KafkaAPI(key: 1, name: "Fetch", versions: 4...12, firstFlexibleVersion: 12)
    public static let listOffsets = KafkaAPI(key: 2, name: "ListOffsets", versions: 1...7, firstFlexibleVersion: 6)
    public static let metadata = KafkaAPI(key: 3, name: "Metadata", versions: 4...12, firstFlexibleVersion: 9)
    public static let offsetCommit = KafkaAPI(key: 8, name: "OffsetCommit", versions: 2...8, firstFlexibleVersion: 8)
    public static let offsetFetch = KafkaAPI(key: 9, name: "OffsetFetch", versions: 1...7, firstFlexibleVersion: 6)
    public static let findCoordinator = KafkaAPI(key: 10, name: "FindCoordinator", versions: 1...4, firstFlexibleVersion: 3)
    public static let joinGroup = KafkaAPI(key: 11, name: "JoinGroup", versions: 2...7, firstFlexibleVersion: 6)
    public static let heartbeat = KafkaAPI(key: 12, name: "Heartbeat", versions: 1...4, firstFlexibleVersion: 4)
    public static let leaveGroup = KafkaAPI(key: 13, name: "LeaveGroup", versions: 1...5, firstFlexibleVersion: 4)
    public static let syncGroup = KafkaAPI(key: 14, name: "SyncGroup", versions: 1...5, firstFlexibleVersion: 4)
    public static let apiVersions = KafkaAPI(key: 18, name: "ApiVersions", versions: 0...3, firstFlexibleVersion: 3)
    public static let createTopics = KafkaAPI(key: 19, name: "CreateTopics", versions: 2...7, firstFlexibleVersion: 5)
    public static let initProducerId = KafkaAPI(key: 22, name: "InitProducerId", versions: 0...4, firstFlexibleVersion: 2)

    /// Every API this client uses.
    public static let all: [KafkaAPI] = [
        .produce, .fetch, .listOffsets, .metadata, .offsetCommit, .offsetFetch, .findCoordinator,
        .joinGroup, .heartbeat, .leaveGroup, .syncGroup, .apiVersions, .createTopics, .initProducerId,
    ]
}

/// A request of one API: it encodes its body for a version and decodes the matching response.
///
/// Encoders and decoders take the version and mention only which fields exist in it; the
/// ``KafkaWriter``/``KafkaReader`` pick compact or classic encodings and write or read tagged
/// fields.
protocol KafkaRequest: Sendable {
    associatedtype Response: Sendable
    static var api: KafkaAPI { get }
    /// Whether the broker answers (Produce with acks=0 gets no response).
    var expectsResponse: Bool { get }
    func encode(into writer: inout KafkaWriter, version: Int16)
    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response
}

extension KafkaRequest {
    var expectsResponse: Bool { true }
}

/// The versions of each API agreed with one broker: the highest version both sides support.
public struct KafkaNegotiatedVersions: Sendable, Hashable {
    /// The broker's advertised ranges, by API key.
    public let brokerRanges: [Int16: ClosedRange<Int16>]
    /// The agreed version by API key; APIs missing here cannot be used with this broker.
    public let versions: [Int16: Int16]

    /// Chooses, for each API of ``KafkaAPI/all``, the highest version in both ranges.
    public init(brokerRanges: [Int16: ClosedRange<Int16>]) {
        self.brokerRanges = brokerRanges
        var versions: [Int16: Int16] = [:]
        for api in KafkaAPI.all {
            guard let theirs = brokerRanges[api.key] else { continue }
            let highest = min(theirs.upperBound, api.versions.upperBound)
            if highest >= max(theirs.lowerBound, api.versions.lowerBound) {
                versions[api.key] = highest
            }
        }
        self.versions = versions
    }

    /// The version to use for `api`.
    /// - Throws: ``KafkaError/unsupportedVersion(api:broker:brokerRange:clientRange:)``.
    public func version(of api: KafkaAPI, broker: String) throws(KafkaError) -> Int16 {
        guard let version = versions[api.key] else {
            throw .unsupportedVersion(api: api.name, broker: broker, brokerRange: brokerRanges[api.key], clientRange: api.versions)
        }
        return version
    }
}
