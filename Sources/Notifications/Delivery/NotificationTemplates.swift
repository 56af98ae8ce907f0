import Foundation
import Mustache

/// A rendered email.
struct RenderedEmail: Sendable, Equatable {
    var subject: String
    var text: String
    var html: String
}

/// A rendered in-app notification.
struct RenderedInApp: Sendable, Equatable {
    var title: String
    var body: String
}

/// Why the templates could not be loaded.
struct TemplateError: Error, CustomStringConvertible {
    var description: String
}

/// The Mustache templates of every kind and channel: the ones shipped in
/// `Sources/Notifications/Templates` (beside the binary as `emporium_Notifications.resources`),
/// each replaced by a file of the same name in `notifications.templatesPath` when set.
///
/// Names: `<kind>.email.subject`, `<kind>.email.text`, `<kind>.email.html`,
/// `<kind>.in-app.title`, `<kind>.in-app.body` (`order-confirmed.email.html.mustache`), and
/// partials under `partials/`. Text templates start with `{{% CONTENT_TYPE: TEXT}}` so that
/// nothing in them is HTML-escaped; the HTML ones escape every value.
struct NotificationTemplates: Sendable {
    private let library: MustacheLibrary

    /// The names every kind must have.
    static func requiredNames(of kind: NotificationKind) -> [String] {
        ["email.subject", "email.text", "email.html", "in-app.title", "in-app.body"].map { "\(kind.templateName).\($0)" }
    }

    init(library: MustacheLibrary) {
        self.library = library
    }

    /// Loads the shipped templates and the overrides in `overrides`.
    /// - Throws: ``TemplateError`` when a folder cannot be read, a template does not parse, or
    ///   a required one is missing.
    static func load(overrides: String?) async throws -> NotificationTemplates {
        guard let shipped = shippedFolder() else {
            throw TemplateError(description: "the shipped templates (emporium_Notifications.resources beside the binary) are missing; set notifications.templatesPath to a folder with every template")
        }
        var library = try await library(at: shipped)
        if let overrides {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: overrides, isDirectory: &isFolder), isFolder.boolValue else {
                throw TemplateError(description: "notifications.templatesPath '\(overrides)' is not a folder")
            }
            let custom = try await Self.library(at: overrides)
            for name in try templateNames(in: overrides) {
                if let template = custom.getTemplate(named: name) { library.register(template, named: name) }
            }
        }
        for kind in NotificationKind.allCases {
            for name in requiredNames(of: kind) where library.getTemplate(named: name) == nil {
                throw TemplateError(description: "the template '\(name).mustache' is missing")
            }
        }
        return NotificationTemplates(library: library)
    }

    /// The email of `kind` for `data`.
    func email(_ kind: NotificationKind, _ data: TemplateData) -> RenderedEmail {
        let context = data.context
        return RenderedEmail(
            subject: Self.oneLine(render("\(kind.templateName).email.subject", context)),
            text: Self.trimmed(render("\(kind.templateName).email.text", context)),
            html: Self.trimmed(render("\(kind.templateName).email.html", context)))
    }

    /// The in-app notification of `kind` for `data`.
    func inApp(_ kind: NotificationKind, _ data: TemplateData) -> RenderedInApp {
        let context = data.context
        return RenderedInApp(
            title: Self.oneLine(render("\(kind.templateName).in-app.title", context)),
            body: Self.trimmed(render("\(kind.templateName).in-app.body", context)))
    }

    private func render(_ name: String, _ context: [String: Any]) -> String {
        // Every required name was checked at load.
        library.render(context, withTemplate: name) ?? ""
    }

    /// A subject or title: one line, spaces collapsed (a line break would not be a header).
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    private static func library(at folder: String) async throws -> MustacheLibrary {
        do {
            return try await MustacheLibrary(directory: folder)
        } catch let error as MustacheLibrary.ParserError {
            throw TemplateError(description: "the template '\(error.filename)' does not parse: \(error.error) at line \(error.context.lineNumber)")
        }
    }

    private static func templateNames(in folder: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }
    }

    /// The shipped templates: beside the binary (a release, an image), else in the source tree
    /// this was built from (tests, `swift run`).
    static func shippedFolder() -> String? {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(executable.appendingPathComponent("emporium_Notifications.resources/Templates"))
            candidates.append(executable.appendingPathComponent("emporium_Notifications.resources"))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Templates"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("welcome.email.subject.mustache").path) }?.path
    }
}
