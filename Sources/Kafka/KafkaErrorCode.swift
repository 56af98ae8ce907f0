/// An error code from a Kafka broker's response, with its protocol name and whether Kafka
/// documents it as retriable (the same request may succeed later, e.g. after a leader change).
///
/// The raw values are the codes of the Kafka protocol guide ("Error Codes"). A code this client
/// does not know yet is kept as ``unknown(_:)``.
public enum KafkaErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// `UNKNOWN_SERVER_ERROR` (-1).
    case unknownServerError
    /// `NONE` (0).
    case noError
    /// `OFFSET_OUT_OF_RANGE` (1).
    case offsetOutOfRange
    /// `CORRUPT_MESSAGE` (2), retriable.
    case corruptMessage
    /// `UNKNOWN_TOPIC_OR_PARTITION` (3), retriable.
    case unknownTopicOrPartition
    /// `INVALID_FETCH_SIZE` (4).
    case invalidFetchSize
    /// `LEADER_NOT_AVAILABLE` (5), retriable.
    case leaderNotAvailable
    /// `NOT_LEADER_OR_FOLLOWER` (6), retriable.
    case notLeaderOrFollower
    /// `REQUEST_TIMED_OUT` (7), retriable.
    case requestTimedOut
    /// `BROKER_NOT_AVAILABLE` (8).
    case brokerNotAvailable
    /// `REPLICA_NOT_AVAILABLE` (9), retriable.
    case replicaNotAvailable
    /// `MESSAGE_TOO_LARGE` (10).
    case messageTooLarge
    /// `STALE_CONTROLLER_EPOCH` (11).
    case staleControllerEpoch
    /// `OFFSET_METADATA_TOO_LARGE` (12).
    case offsetMetadataTooLarge
    /// `NETWORK_EXCEPTION` (13), retriable.
    case networkException
    /// `COORDINATOR_LOAD_IN_PROGRESS` (14), retriable.
    case coordinatorLoadInProgress
    /// `COORDINATOR_NOT_AVAILABLE` (15), retriable.
    case coordinatorNotAvailable
    /// `NOT_COORDINATOR` (16), retriable.
    case notCoordinator
    /// `INVALID_TOPIC_EXCEPTION` (17).
    case invalidTopicException
    /// `RECORD_LIST_TOO_LARGE` (18).
    case recordListTooLarge
    /// `NOT_ENOUGH_REPLICAS` (19), retriable.
    case notEnoughReplicas
    /// `NOT_ENOUGH_REPLICAS_AFTER_APPEND` (20), retriable.
    case notEnoughReplicasAfterAppend
    /// `INVALID_REQUIRED_ACKS` (21).
    case invalidRequiredAcks
    /// `ILLEGAL_GENERATION` (22).
    case illegalGeneration
    /// `INCONSISTENT_GROUP_PROTOCOL` (23).
    case inconsistentGroupProtocol
    /// `INVALID_GROUP_ID` (24).
    case invalidGroupId
    /// `UNKNOWN_MEMBER_ID` (25).
    case unknownMemberId
    /// `INVALID_SESSION_TIMEOUT` (26).
    case invalidSessionTimeout
    /// `REBALANCE_IN_PROGRESS` (27).
    case rebalanceInProgress
    /// `INVALID_COMMIT_OFFSET_SIZE` (28).
    case invalidCommitOffsetSize
    /// `TOPIC_AUTHORIZATION_FAILED` (29).
    case topicAuthorizationFailed
    /// `GROUP_AUTHORIZATION_FAILED` (30).
    case groupAuthorizationFailed
    /// `CLUSTER_AUTHORIZATION_FAILED` (31).
    case clusterAuthorizationFailed
    /// `INVALID_TIMESTAMP` (32).
    case invalidTimestamp
    /// `UNSUPPORTED_SASL_MECHANISM` (33).
    case unsupportedSaslMechanism
    /// `ILLEGAL_SASL_STATE` (34).
    case illegalSaslState
    /// `UNSUPPORTED_VERSION` (35).
    case unsupportedVersion
    /// `TOPIC_ALREADY_EXISTS` (36).
    case topicAlreadyExists
    /// `INVALID_PARTITIONS` (37).
    case invalidPartitions
    /// `INVALID_REPLICATION_FACTOR` (38).
    case invalidReplicationFactor
    /// `INVALID_REPLICA_ASSIGNMENT` (39).
    case invalidReplicaAssignment
    /// `INVALID_CONFIG` (40).
    case invalidConfig
    /// `NOT_CONTROLLER` (41), retriable.
    case notController
    /// `INVALID_REQUEST` (42).
    case invalidRequest
    /// `UNSUPPORTED_FOR_MESSAGE_FORMAT` (43).
    case unsupportedForMessageFormat
    /// `POLICY_VIOLATION` (44).
    case policyViolation
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` (45).
    case outOfOrderSequenceNumber
    /// `DUPLICATE_SEQUENCE_NUMBER` (46).
    case duplicateSequenceNumber
    /// `INVALID_PRODUCER_EPOCH` (47).
    case invalidProducerEpoch
    /// `INVALID_TXN_STATE` (48).
    case invalidTxnState
    /// `INVALID_PRODUCER_ID_MAPPING` (49).
    case invalidProducerIdMapping
    /// `INVALID_TRANSACTION_TIMEOUT` (50).
    case invalidTransactionTimeout
    /// `CONCURRENT_TRANSACTIONS` (51), retriable.
    case concurrentTransactions
    /// `TRANSACTION_COORDINATOR_FENCED` (52).
    case transactionCoordinatorFenced
    /// `TRANSACTIONAL_ID_AUTHORIZATION_FAILED` (53).
    case transactionalIdAuthorizationFailed
    /// `SECURITY_DISABLED` (54).
    case securityDisabled
    /// `OPERATION_NOT_ATTEMPTED` (55).
    case operationNotAttempted
    /// `KAFKA_STORAGE_ERROR` (56), retriable.
    case kafkaStorageError
    /// `LOG_DIR_NOT_FOUND` (57).
    case logDirNotFound
    /// `SASL_AUTHENTICATION_FAILED` (58).
    case saslAuthenticationFailed
    /// `UNKNOWN_PRODUCER_ID` (59).
    case unknownProducerId
    /// `REASSIGNMENT_IN_PROGRESS` (60).
    case reassignmentInProgress
    /// `DELEGATION_TOKEN_AUTH_DISABLED` (61).
    case delegationTokenAuthDisabled
    /// `DELEGATION_TOKEN_NOT_FOUND` (62).
    case delegationTokenNotFound
    /// `DELEGATION_TOKEN_OWNER_MISMATCH` (63).
    case delegationTokenOwnerMismatch
    /// `DELEGATION_TOKEN_REQUEST_NOT_ALLOWED` (64).
    case delegationTokenRequestNotAllowed
    /// `DELEGATION_TOKEN_AUTHORIZATION_FAILED` (65).
    case delegationTokenAuthorizationFailed
    /// `DELEGATION_TOKEN_EXPIRED` (66).
    case delegationTokenExpired
    /// `INVALID_PRINCIPAL_TYPE` (67).
    case invalidPrincipalType
    /// `NON_EMPTY_GROUP` (68).
    case nonEmptyGroup
    /// `GROUP_ID_NOT_FOUND` (69).
    case groupIdNotFound
    /// `FETCH_SESSION_ID_NOT_FOUND` (70), retriable.
    case fetchSessionIdNotFound
    /// `INVALID_FETCH_SESSION_EPOCH` (71), retriable.
    case invalidFetchSessionEpoch
    /// `LISTENER_NOT_FOUND` (72), retriable.
    case listenerNotFound
    /// `TOPIC_DELETION_DISABLED` (73).
    case topicDeletionDisabled
    /// `FENCED_LEADER_EPOCH` (74), retriable.
    case fencedLeaderEpoch
    /// `UNKNOWN_LEADER_EPOCH` (75), retriable.
    case unknownLeaderEpoch
    /// `UNSUPPORTED_COMPRESSION_TYPE` (76).
    case unsupportedCompressionType
    /// `STALE_BROKER_EPOCH` (77).
    case staleBrokerEpoch
    /// `OFFSET_NOT_AVAILABLE` (78), retriable.
    case offsetNotAvailable
    /// `MEMBER_ID_REQUIRED` (79).
    case memberIdRequired
    /// `PREFERRED_LEADER_NOT_AVAILABLE` (80), retriable.
    case preferredLeaderNotAvailable
    /// `GROUP_MAX_SIZE_REACHED` (81).
    case groupMaxSizeReached
    /// `FENCED_INSTANCE_ID` (82).
    case fencedInstanceId
    /// `ELIGIBLE_LEADERS_NOT_AVAILABLE` (83), retriable.
    case eligibleLeadersNotAvailable
    /// `ELECTION_NOT_NEEDED` (84), retriable.
    case electionNotNeeded
    /// `NO_REASSIGNMENT_IN_PROGRESS` (85).
    case noReassignmentInProgress
    /// `GROUP_SUBSCRIBED_TO_TOPIC` (86).
    case groupSubscribedToTopic
    /// `INVALID_RECORD` (87).
    case invalidRecord
    /// `UNSTABLE_OFFSET_COMMIT` (88), retriable.
    case unstableOffsetCommit
    /// `THROTTLING_QUOTA_EXCEEDED` (89), retriable.
    case throttlingQuotaExceeded
    /// `PRODUCER_FENCED` (90).
    case producerFenced
    /// `RESOURCE_NOT_FOUND` (91).
    case resourceNotFound
    /// `DUPLICATE_RESOURCE` (92).
    case duplicateResource
    /// `UNACCEPTABLE_CREDENTIAL` (93).
    case unacceptableCredential
    /// `INCONSISTENT_VOTER_SET` (94).
    case inconsistentVoterSet
    /// `INVALID_UPDATE_VERSION` (95).
    case invalidUpdateVersion
    /// `FEATURE_UPDATE_FAILED` (96).
    case featureUpdateFailed
    /// `PRINCIPAL_DESERIALIZATION_FAILURE` (97).
    case principalDeserializationFailure
    /// `SNAPSHOT_NOT_FOUND` (98).
    case snapshotNotFound
    /// `POSITION_OUT_OF_RANGE` (99).
    case positionOutOfRange
    /// `UNKNOWN_TOPIC_ID` (100), retriable.
    case unknownTopicId
    /// `DUPLICATE_BROKER_REGISTRATION` (101).
    case duplicateBrokerRegistration
    /// `BROKER_ID_NOT_REGISTERED` (102).
    case brokerIdNotRegistered
    /// `INCONSISTENT_TOPIC_ID` (103), retriable.
    case inconsistentTopicId
    /// `INCONSISTENT_CLUSTER_ID` (104).
    case inconsistentClusterId
    /// `TRANSACTIONAL_ID_NOT_FOUND` (105).
    case transactionalIdNotFound
    /// `FETCH_SESSION_TOPIC_ID_ERROR` (106), retriable.
    case fetchSessionTopicIdError
    /// `INELIGIBLE_REPLICA` (107).
    case ineligibleReplica
    /// `NEW_LEADER_ELECTED` (108).
    case newLeaderElected
    /// `OFFSET_MOVED_TO_TIERED_STORAGE` (109).
    case offsetMovedToTieredStorage
    /// `FENCED_MEMBER_EPOCH` (110).
    case fencedMemberEpoch
    /// `UNRELEASED_INSTANCE_ID` (111).
    case unreleasedInstanceId
    /// `UNSUPPORTED_ASSIGNOR` (112).
    case unsupportedAssignor
    /// `STALE_MEMBER_EPOCH` (113).
    case staleMemberEpoch
    /// `MISMATCHED_ENDPOINT_TYPE` (114).
    case mismatchedEndpointType
    /// `UNSUPPORTED_ENDPOINT_TYPE` (115).
    case unsupportedEndpointType
    /// `UNKNOWN_CONTROLLER_ID` (116).
    case unknownControllerId
    /// `UNKNOWN_SUBSCRIPTION_ID` (117).
    case unknownSubscriptionId
    /// `TELEMETRY_TOO_LARGE` (118).
    case telemetryTooLarge
    /// `INVALID_REGISTRATION` (119).
    case invalidRegistration
    /// `TRANSACTION_ABORTABLE` (120).
    case transactionAbortable
    /// A code this client does not know.
    case unknown(Int16)

    /// The code for a raw value from the wire.
    public init(rawValue: Int16) {
        self = Self.byRawValue[rawValue] ?? .unknown(rawValue)
    }

    /// The value on the wire.
    public var rawValue: Int16 {
        if case .unknown(let raw) = self { return raw }
        return Self.table[self]!.raw
    }

    /// The name the Kafka protocol guide gives the code, e.g. `NOT_LEADER_OR_FOLLOWER`.
    public var name: String {
        if case .unknown(let raw) = self { return "UNKNOWN_ERROR_CODE_\(raw)" }
        return Self.table[self]!.name
    }

    /// Whether Kafka documents the error as retriable: sending the request again (after a
    /// metadata refresh for leadership errors) may succeed.
    public var isRetriable: Bool {
        if case .unknown = self { return false }
        return Self.table[self]!.retriable
    }

    /// "NOT_LEADER_OR_FOLLOWER (6)".
    public var description: String { "\(self.name) (\(self.rawValue))" }

    private static let table: [KafkaErrorCode: (raw: Int16, name: String, retriable: Bool)] = [
        .unknownServerError: (-1, "UNKNOWN_SERVER_ERROR", false),
        .noError: (0, "NONE", false),
        .offsetOutOfRange: (1, "OFFSET_OUT_OF_RANGE", false),
        .corruptMessage: (2, "CORRUPT_MESSAGE", true),
        .unknownTopicOrPartition: (3, "UNKNOWN_TOPIC_OR_PARTITION", true),
        .invalidFetchSize: (4, "INVALID_FETCH_SIZE", false),
        .leaderNotAvailable: (5, "LEADER_NOT_AVAILABLE", true),
        .notLeaderOrFollower: (6, "NOT_LEADER_OR_FOLLOWER", true),
        .requestTimedOut: (7, "REQUEST_TIMED_OUT", true),
        .brokerNotAvailable: (8, "BROKER_NOT_AVAILABLE", false),
        .replicaNotAvailable: (9, "REPLICA_NOT_AVAILABLE", true),
        .messageTooLarge: (10, "MESSAGE_TOO_LARGE", false),
        .staleControllerEpoch: (11, "STALE_CONTROLLER_EPOCH", false),
        .offsetMetadataTooLarge: (12, "OFFSET_METADATA_TOO_LARGE", false),
        .networkException: (13, "NETWORK_EXCEPTION", true),
        .coordinatorLoadInProgress: (14, "COORDINATOR_LOAD_IN_PROGRESS", true),
        .coordinatorNotAvailable: (15, "COORDINATOR_NOT_AVAILABLE", true),
        .notCoordinator: (16, "NOT_COORDINATOR", true),
        .invalidTopicException: (17, "INVALID_TOPIC_EXCEPTION", false),
        .recordListTooLarge: (18, "RECORD_LIST_TOO_LARGE", false),
        .notEnoughReplicas: (19, "NOT_ENOUGH_REPLICAS", true),
        .notEnoughReplicasAfterAppend: (20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true),
        .invalidRequiredAcks: (21, "INVALID_REQUIRED_ACKS", false),
        .illegalGeneration: (22, "ILLEGAL_GENERATION", false),
        .inconsistentGroupProtocol: (23, "INCONSISTENT_GROUP_PROTOCOL", false),
        .invalidGroupId: (24, "INVALID_GROUP_ID", false),
        .unknownMemberId: (25, "UNKNOWN_MEMBER_ID", false),
        .invalidSessionTimeout: (26, "INVALID_SESSION_TIMEOUT", false),
        .rebalanceInProgress: (27, "REBALANCE_IN_PROGRESS", false),
        .invalidCommitOffsetSize: (28, "INVALID_COMMIT_OFFSET_SIZE", false),
        .topicAuthorizationFailed: (29, "TOPIC_AUTHORIZATION_FAILED", false),
        .groupAuthorizationFailed: (30, "GROUP_AUTHORIZATION_FAILED", false),
        .clusterAuthorizationFailed: (31, "CLUSTER_AUTHORIZATION_FAILED", false),
        .invalidTimestamp: (32, "INVALID_TIMESTAMP", false),
        .unsupportedSaslMechanism: (33, "UNSUPPORTED_SASL_MECHANISM", false),
        .illegalSaslState: (34, "ILLEGAL_SASL_STATE", false),
        .unsupportedVersion: (35, "UNSUPPORTED_VERSION", false),
        .topicAlreadyExists: (36, "TOPIC_ALREADY_EXISTS", false),
        .invalidPartitions: (37, "INVALID_PARTITIONS", false),
        .invalidReplicationFactor: (38, "INVALID_REPLICATION_FACTOR", false),
        .invalidReplicaAssignment: (39, "INVALID_REPLICA_ASSIGNMENT", false),
        .invalidConfig: (40, "INVALID_CONFIG", false),
        .notController: (41, "NOT_CONTROLLER", true),
        .invalidRequest: (42, "INVALID_REQUEST", false),
        .unsupportedForMessageFormat: (43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false),
        .policyViolation: (44, "POLICY_VIOLATION", false),
        .outOfOrderSequenceNumber: (45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false),
        .duplicateSequenceNumber: (46, "DUPLICATE_SEQUENCE_NUMBER", false),
        .invalidProducerEpoch: (47, "INVALID_PRODUCER_EPOCH", false),
        .invalidTxnState: (48, "INVALID_TXN_STATE", false),
        .invalidProducerIdMapping: (49, "INVALID_PRODUCER_ID_MAPPING", false),
        .invalidTransactionTimeout: (50, "INVALID_TRANSACTION_TIMEOUT", false),
        .concurrentTransactions: (51, "CONCURRENT_TRANSACTIONS", true),
        .transactionCoordinatorFenced: (52, "TRANSACTION_COORDINATOR_FENCED", false),
        .transactionalIdAuthorizationFailed: (53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false),
        .securityDisabled: (54, "SECURITY_DISABLED", false),
        .operationNotAttempted: (55, "OPERATION_NOT_ATTEMPTED", false),
        .kafkaStorageError: (56, "KAFKA_STORAGE_ERROR", true),
        .logDirNotFound: (57, "LOG_DIR_NOT_FOUND", false),
        .saslAuthenticationFailed: (58, "SASL_AUTHENTICATION_FAILED", false),
        .unknownProducerId: (59, "UNKNOWN_PRODUCER_ID", false),
        .reassignmentInProgress: (60, "REASSIGNMENT_IN_PROGRESS", false),
        .delegationTokenAuthDisabled: (61, "DELEGATION_TOKEN_AUTH_DISABLED", false),
        .delegationTokenNotFound: (62, "DELEGATION_TOKEN_NOT_FOUND", false),
        .delegationTokenOwnerMismatch: (63, "DELEGATION_TOKEN_OWNER_MISMATCH", false),
        .delegationTokenRequestNotAllowed: (64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false),
        .delegationTokenAuthorizationFailed: (65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false),
        .delegationTokenExpired: (66, "DELEGATION_TOKEN_EXPIRED", false),
        .invalidPrincipalType: (67, "INVALID_PRINCIPAL_TYPE", false),
        .nonEmptyGroup: (68, "NON_EMPTY_GROUP", false),
        .groupIdNotFound: (69, "GROUP_ID_NOT_FOUND", false),
        .fetchSessionIdNotFound: (70, "FETCH_SESSION_ID_NOT_FOUND", true),
        .invalidFetchSessionEpoch: (71, "INVALID_FETCH_SESSION_EPOCH", true),
        .listenerNotFound: (72, "LISTENER_NOT_FOUND", true),
        .topicDeletionDisabled: (73, "TOPIC_DELETION_DISABLED", false),
        .fencedLeaderEpoch: (74, "FENCED_LEADER_EPOCH", true),
        .unknownLeaderEpoch: (75, "UNKNOWN_LEADER_EPOCH", true),
        .unsupportedCompressionType: (76, "UNSUPPORTED_COMPRESSION_TYPE", false),
        .staleBrokerEpoch: (77, "STALE_BROKER_EPOCH", false),
        .offsetNotAvailable: (78, "OFFSET_NOT_AVAILABLE", true),
        .memberIdRequired: (79, "MEMBER_ID_REQUIRED", false),
        .preferredLeaderNotAvailable: (80, "PREFERRED_LEADER_NOT_AVAILABLE", true),
        .groupMaxSizeReached: (81, "GROUP_MAX_SIZE_REACHED", false),
        .fencedInstanceId: (82, "FENCED_INSTANCE_ID", false),
        .eligibleLeadersNotAvailable: (83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true),
        .electionNotNeeded: (84, "ELECTION_NOT_NEEDED", true),
        .noReassignmentInProgress: (85, "NO_REASSIGNMENT_IN_PROGRESS", false),
        .groupSubscribedToTopic: (86, "GROUP_SUBSCRIBED_TO_TOPIC", false),
        .invalidRecord: (87, "INVALID_RECORD", false),
        .unstableOffsetCommit: (88, "UNSTABLE_OFFSET_COMMIT", true),
        .throttlingQuotaExceeded: (89, "THROTTLING_QUOTA_EXCEEDED", true),
        .producerFenced: (90, "PRODUCER_FENCED", false),
        .resourceNotFound: (91, "RESOURCE_NOT_FOUND", false),
        .duplicateResource: (92, "DUPLICATE_RESOURCE", false),
        .unacceptableCredential: (93, "UNACCEPTABLE_CREDENTIAL", false),
        .inconsistentVoterSet: (94, "INCONSISTENT_VOTER_SET", false),
        .invalidUpdateVersion: (95, "INVALID_UPDATE_VERSION", false),
        .featureUpdateFailed: (96, "FEATURE_UPDATE_FAILED", false),
        .principalDeserializationFailure: (97, "PRINCIPAL_DESERIALIZATION_FAILURE", false),
        .snapshotNotFound: (98, "SNAPSHOT_NOT_FOUND", false),
        .positionOutOfRange: (99, "POSITION_OUT_OF_RANGE", false),
        .unknownTopicId: (100, "UNKNOWN_TOPIC_ID", true),
        .duplicateBrokerRegistration: (101, "DUPLICATE_BROKER_REGISTRATION", false),
        .brokerIdNotRegistered: (102, "BROKER_ID_NOT_REGISTERED", false),
        .inconsistentTopicId: (103, "INCONSISTENT_TOPIC_ID", true),
        .inconsistentClusterId: (104, "INCONSISTENT_CLUSTER_ID", false),
        .transactionalIdNotFound: (105, "TRANSACTIONAL_ID_NOT_FOUND", false),
        .fetchSessionTopicIdError: (106, "FETCH_SESSION_TOPIC_ID_ERROR", true),
        .ineligibleReplica: (107, "INELIGIBLE_REPLICA", false),
        .newLeaderElected: (108, "NEW_LEADER_ELECTED", false),
        .offsetMovedToTieredStorage: (109, "OFFSET_MOVED_TO_TIERED_STORAGE", false),
        .fencedMemberEpoch: (110, "FENCED_MEMBER_EPOCH", false),
        .unreleasedInstanceId: (111, "UNRELEASED_INSTANCE_ID", false),
        .unsupportedAssignor: (112, "UNSUPPORTED_ASSIGNOR", false),
        .staleMemberEpoch: (113, "STALE_MEMBER_EPOCH", false),
        .mismatchedEndpointType: (114, "MISMATCHED_ENDPOINT_TYPE", false),
        .unsupportedEndpointType: (115, "UNSUPPORTED_ENDPOINT_TYPE", false),
        .unknownControllerId: (116, "UNKNOWN_CONTROLLER_ID", false),
        .unknownSubscriptionId: (117, "UNKNOWN_SUBSCRIPTION_ID", false),
        .telemetryTooLarge: (118, "TELEMETRY_TOO_LARGE", false),
        .invalidRegistration: (119, "INVALID_REGISTRATION", false),
        .transactionAbortable: (120, "TRANSACTION_ABORTABLE", false),
    ]

    private static let byRawValue: [Int16: KafkaErrorCode] = Dictionary(
        uniqueKeysWithValues: table.map { ($0.value.raw, $0.key) }
    )
}
