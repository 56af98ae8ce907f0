public import Foundation
public import HTTPTypes
public import Hummingbird

/// The rule of read-your-writes for services with a read replica: a client's successful write
/// opens a short window in which its reads go to the primary, which has the write, rather than
/// to a replica that may not have replayed it yet.
///
/// The window travels with the client as a marker, the time it ends in Unix seconds: the
/// response to the write sets the cookie `emporium-read-primary` (which browsers send back by
/// themselves) and the header `Emporium-Read-Primary` (which other clients echo on their next
/// requests). Nothing is kept on the server, so any instance honours any instance's marker.
/// The marker is not signed: forging one only sends that client's reads to the primary, which
/// every client's writes reach anyway (docs/adr/0004-read-replicas.md).
public struct ReadYourWritesWindow: Sendable, Equatable {
    /// `emporium-read-primary`.
    public static let cookieName = "emporium-read-primary"
    /// `Emporium-Read-Primary`.
    public static let header = HTTPField.Name("Emporium-Read-Primary")!

    /// How long, in seconds, a write's window lasts: more than the replica's usual lag.
    public let seconds: Int
    /// How far, in seconds, the clocks of two instances may disagree: a marker made by another
    /// instance may end that much later than one made here.
    public static let clockSkew = 60

    public init(seconds: Int) {
        self.seconds = seconds
    }

    /// Whether the response to a request with `method` opens a window: a write (POST, PUT,
    /// PATCH, DELETE) that succeeded (2xx). A refused write changed nothing to read back.
    public static func opens(method: HTTPRequest.Method, status: HTTPResponse.Status) -> Bool {
        [.post, .put, .patch, .delete].contains(method) && status.kind == .successful
    }

    /// The marker of a window opened at `now`: when it ends, in Unix seconds.
    public func marker(openedAt now: Date) -> String {
        String(Self.unixSeconds(now) + seconds)
    }

    /// Whether one of `markers` (as the client sent them; nil for one it did not send) is a
    /// window still open at `now`: it ends after `now`, and no later than a window opened now
    /// would, give or take ``clockSkew`` (a marker further ahead, left by a longer window of an
    /// earlier configuration or made up, is ignored).
    public func isOpen(_ markers: [String?], at now: Date) -> Bool {
        let now = Self.unixSeconds(now)
        return markers.contains { marker in
            guard let marker, let end = Int(marker) else { return false }
            return end > now && end <= now + seconds + Self.clockSkew
        }
    }

    /// The cookie that carries `marker`: for every path, kept by the browser no longer than the
    /// window, out of reach of scripts, and not sent on cross-site subrequests.
    public func cookie(_ marker: String) -> Cookie {
        Cookie(name: Self.cookieName, value: marker, maxAge: seconds, path: "/", httpOnly: true, sameSite: .lax)
    }

    private static func unixSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }
}
