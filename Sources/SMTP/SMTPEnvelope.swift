/// Who a message is from and to on the wire (`MAIL FROM` and `RCPT TO`), which may differ from
/// the `From`/`To` headers (blind copies are envelope recipients only).
public struct SMTPEnvelope: Sendable, Hashable {
    /// The reverse path, where bounces go.
    public var sender: SMTPAddress
    /// Every recipient; the message goes to all of them or, if the server refuses one, to none.
    public var recipients: [SMTPAddress]

    /// Creates an envelope.
    public init(sender: SMTPAddress, recipients: [SMTPAddress]) {
        self.sender = sender
        self.recipients = recipients
    }

    /// Throws unless every address is valid and there is at least one recipient.
    public func validate() throws(SMTPError) {
        try self.sender.validate()
        guard !self.recipients.isEmpty else { throw .noRecipients }
        for recipient in self.recipients {
            try recipient.validate()
        }
    }
}
