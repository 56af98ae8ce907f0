/// Errors raised by the Kafka client. Each description names what failed and where (the broker's
/// `host:port`, the topic and partition, the API), for an operator reading a log line.
public enum KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection URL or a bootstrap address could not be parsed.
    case invalidURL(String, reason: String)
    /// An argument cannot be sent (e.g. a topic name longer than the protocol allows).
    case invalidArgument(String)
    /// No TCP connection to the broker could be made (refused, unreachable, timed out, name not
    /// resolved). `broker` is `host:port` (or several, comma-separated, when every bootstrap
    /// broker failed).
    case brokerUnreachable(broker: String, reason: String)
    /// The connection closed before the response arrived (broker shut down, network failure).
    /// The request may or may not have been processed.
    case connectionClosed(broker: String)
    /// No response came within the request's time limit. The request may or may not have been
    /// processed.
    case requestTimedOut(api: String, broker: String, after: Duration)
    /// The broker answered with an error code. `context` says for what (topic, partition,
    /// group) and `message` is the broker's own text when it sent one.
    case broker(code: KafkaErrorCode, context: String, message: String?)
    /// The broker supports no version of an API in the range this client implements.
    case unsupportedVersion(api: String, broker: String, brokerRange: ClosedRange<Int16>?, clientRange: ClosedRange<Int16>)
    /// A fetched record batch is compressed; this client reads uncompressed batches only.
    case compressedBatchUnsupported(topic: String, partition: Int32, offset: Int64, codec: String)
    /// A fetched batch is in the message format before v2 (magic 0 or 1), which this client
    /// does not read.
    case unsupportedRecordFormat(topic: String, partition: Int32, offset: Int64, magic: Int8)
    /// A fetched record batch failed its CRC-32C check (corrupted on disk or in transit).
    case corruptBatch(topic: String, partition: Int32, offset: Int64, reason: String)
    /// Bytes on the wire do not form a valid response for the API that was asked.
    case malformedResponse(api: String, reason: String)
    /// The broker did something the protocol does not allow (a response to no request, ...).
    case protocolError(String)
    /// The operation kept failing with retriable errors until its time limit ran out; `last`
    /// is the most recent failure.
    case retriesExhausted(operation: String, after: Duration, last: String)
    /// The client, producer or consumer was closed.
    case closed(String)

    /// A one-line explanation naming the broker, API, topic or code involved.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid Kafka URL '\(url)': \(reason)"
        case .invalidArgument(let what):
            return "invalid Kafka argument: \(what)"
        case .brokerUnreachable(let broker, let reason):
            return "cannot reach Kafka broker at \(broker): \(reason)"
        case .connectionClosed(let broker):
            return "connection to Kafka broker \(broker) closed before the response arrived"
        case .requestTimedOut(let api, let broker, let after):
            return "Kafka \(api) request to \(broker) got no response within \(after)"
        case .broker(let code, let context, let message):
            let text = message.map { ": \($0)" } ?? ""
            return "Kafka broker error \(code) for \(context)\(text)"
        case .unsupportedVersion(let api, let broker, let brokerRange, let clientRange):
            let theirs = brokerRange.map { "versions \($0.lowerBound)...\($0.upperBound)" } ?? "no version"
            return "Kafka broker \(broker) supports \(theirs) of \(api); this client needs one of \(clientRange.lowerBound)...\(clientRange.upperBound)"
        case .compressedBatchUnsupported(let topic, let partition, let offset, let codec):
            return "record batch at \(topic)/\(partition) offset \(offset) is compressed with \(codec); this client reads uncompressed batches only (compression.type=none)"
        case .unsupportedRecordFormat(let topic, let partition, let offset, let magic):
            return "batch at \(topic)/\(partition) offset \(offset) uses message format magic \(magic); this client reads record batches v2 (magic 2) only"
        case .corruptBatch(let topic, let partition, let offset, let reason):
            return "corrupt record batch at \(topic)/\(partition) offset \(offset): \(reason)"
        case .malformedResponse(let api, let reason):
            return "malformed Kafka \(api) response: \(reason)"
        case .protocolError(let detail):
            return "Kafka protocol error: \(detail)"
        case .retriesExhausted(let operation, let after, let last):
            return "Kafka \(operation) still failing after \(after) of retries; last error: \(last)"
        case .closed(let what):
            return "\(what) is closed"
        }
    }

    /// The broker's error code, when the broker answered with one.
    public var code: KafkaErrorCode? {
        if case .broker(let code, _, _) = self { return code }
        return nil
    }

    /// Whether the same operation may succeed when tried again: network failures, time-outs,
    /// and the error codes Kafka documents as retriable.
    public var isRetriable: Bool {
        switch self {
        case .brokerUnreachable, .connectionClosed, .requestTimedOut: true
        case .broker(let code, _, _): code.isRetriable
        default: false
        }
    }
}
