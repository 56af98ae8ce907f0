/// An email to send: addresses, subject, a plain-text body and, optionally, an HTML version of
/// the same content.
///
/// ```swift
/// let message = SMTPMessage(
///     from: SMTPAddress("orders@shop.example", name: "Emporium"),
///     to: ["ada@example.com"],
///     subject: "Your order 1042 is confirmed",
///     text: "Thank you for your order.",
///     html: "<p>Thank you for your order.</p>"
/// )
/// try await smtp.send(message)
/// ```
///
/// It is rendered as MIME (see ``render()``): UTF-8 throughout, `multipart/alternative` when it
/// has both bodies, with `Date`, `Message-ID` and `MIME-Version` headers.
public struct SMTPMessage: Sendable, Hashable {
    /// The author, in `From`; its address is also the envelope sender unless ``sender`` is set.
    public var from: SMTPAddress
    /// The recipients shown in `To`.
    public var to: [SMTPAddress]
    /// The recipients shown in `Cc`.
    public var cc: [SMTPAddress]
    /// Recipients that get the message without being shown in any header.
    public var bcc: [SMTPAddress]
    /// Where replies go (`Reply-To`), if not to ``from``.
    public var replyTo: [SMTPAddress]
    /// The envelope sender (where bounces go), if not ``from``.
    public var sender: SMTPAddress?
    /// The subject; any text, without line breaks.
    public var subject: String
    /// The plain-text body.
    public var text: String
    /// The HTML body, sent next to the text as an alternative when set.
    public var html: String?
    /// The `Message-ID` without angle brackets (`local@domain`); a random one at the sender's
    /// domain when `nil`. Keep it across retries so a receiver can tell a repeat.
    public var messageID: String?

    /// Creates a message.
    public init(
        from: SMTPAddress,
        to: [SMTPAddress],
        cc: [SMTPAddress] = [],
        bcc: [SMTPAddress] = [],
        replyTo: [SMTPAddress] = [],
        sender: SMTPAddress? = nil,
        subject: String,
        text: String,
        html: String? = nil,
        messageID: String? = nil
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.sender = sender
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
    }

    /// The envelope: the sender (or ``from``) to every `To`, `Cc` and `Bcc` address, each once.
    public var envelope: SMTPEnvelope {
        var seen = Set<String>()
        var recipients: [SMTPAddress] = []
        for recipient in self.to + self.cc + self.bcc where seen.insert(recipient.address.lowercased()).inserted {
            recipients.append(SMTPAddress(recipient.address))
        }
        return SMTPEnvelope(sender: SMTPAddress((self.sender ?? self.from).address), recipients: recipients)
    }
}
