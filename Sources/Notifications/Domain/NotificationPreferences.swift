import EmporiumKit

/// A user's choices: which kinds they do not want, per channel (email and in-app; webhooks are
/// subscriptions of their own). Transactional mail is always sent.
public struct NotificationPreferences: Sendable, Equatable, Codable {
    /// The channels a user chooses for.
    public static let choosableChannels: [NotificationChannel] = [.email, .inApp]

    /// Kinds the user opted out of, per channel.
    public var optedOut: [NotificationChannel: Set<NotificationKind>]

    public init(optedOut: [NotificationChannel: Set<NotificationKind>] = [:]) {
        self.optedOut = optedOut
    }

    /// Whether a notification of `kind` goes out on `channel`.
    public func allows(_ kind: NotificationKind, on channel: NotificationChannel) -> Bool {
        if channel == .email && kind.isTransactional { return true }
        return !(optedOut[channel]?.contains(kind) ?? false)
    }

    /// The preferences as the API shows them: every choosable channel with every kind, true when
    /// it is sent.
    public var matrix: [String: [String: Bool]] {
        Dictionary(uniqueKeysWithValues: Self.choosableChannels.map { channel in
            (channel.rawValue, Dictionary(uniqueKeysWithValues: NotificationKind.allCases.map { ($0.rawValue, allows($0, on: channel)) }))
        })
    }

    /// These preferences changed by `changes` (`{"email": {"order_shipped": false}}`); what the
    /// changes do not name stays.
    /// - Throws: a 400 problem naming the first unknown channel or kind (`email.foo`), or a 422
    ///   for turning off transactional mail.
    public func applying(_ changes: [String: [String: Bool]]) throws(ProblemDetails) -> NotificationPreferences {
        var result = self
        for (channelName, kinds) in changes.sorted(by: { $0.key < $1.key }) {
            guard let channel = NotificationChannel(rawValue: channelName), Self.choosableChannels.contains(channel) else {
                throw ProblemDetails.invalidField(
                    channelName, "is not a channel one chooses for; the channels are \(Self.choosableChannels.map(\.rawValue).joined(separator: ", "))")
            }
            for (kindName, wanted) in kinds.sorted(by: { $0.key < $1.key }) {
                let field = "\(channelName).\(kindName)"
                guard let kind = NotificationKind(rawValue: kindName) else {
                    throw ProblemDetails.invalidField(
                        field, "is not a kind of notification; the kinds are \(NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if channel == .email && kind.isTransactional {
                    guard wanted else {
                        throw ProblemDetails.unprocessable([.init(field: field, detail: "is transactional mail, which is always sent")])
                    }
                    continue
                }
                if wanted {
                    result.optedOut[channel]?.remove(kind)
                    if result.optedOut[channel]?.isEmpty == true { result.optedOut[channel] = nil }
                } else {
                    result.optedOut[channel, default: []].insert(kind)
                }
            }
        }
        return result
    }
}
