import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
/// The sign-up and sign-in forms, and their messages when the auth service refuses.
enum AccountForms {
    static func signUp(email: String = "", messages: FieldMessages = FieldMessages()) -> PageViews.AccountForm {
        PageViews.AccountForm(
            heading: "Create an account", action: "/signup", submit: "Create account",
            fields: fields(email: email, messages: messages, passwordHint: "At least 12 characters.", newPassword: true),
            formError: messages.form, alternative: PageViews.Link(label: "Already have an account? Sign in", href: "/signin"))
    }

    /// - Parameter next: The page of this site to show once signed in (``LocalRedirect``), else the cart.
    static func signIn(email: String = "", messages: FieldMessages = FieldMessages(), next: String? = nil) -> PageViews.AccountForm {
        PageViews.AccountForm(
            heading: "Sign in", action: "/signin", submit: "Sign in",
            fields: fields(email: email, messages: messages, passwordHint: nil, newPassword: false),
            formError: messages.form, alternative: PageViews.Link(label: "New here? Create an account", href: "/signup"),
            next: LocalRedirect.path(next))
    }

    private static func fields(email: String, messages: FieldMessages, passwordHint: String?, newPassword: Bool) -> [PageViews.Field] {
        [
            PageViews.Field(
                name: "email", label: "Email", type: "email", value: email, error: messages.byField["email"], autocomplete: "email", required: true,
                hint: nil),
            PageViews.Field(
                name: "password", label: "Password", type: "password", value: "", error: messages.byField["password"],
                autocomplete: newPassword ? "new-password" : "current-password", required: true, hint: passwordHint),
        ]
    }

    /// The form `template` again with the refusal's messages (a 4xx), or the refusal thrown.
    static func refused(_ answer: ShopAPI.Answer, form: PageViews.AccountForm, template: String) throws -> PageResult {
        let problem = try answer.shownRefusal()
        let messages = FieldMessages(problem, fields: ["email", "password"])
        let email = form.fields.first { $0.name == "email" }?.value ?? ""
        let view = template == "signup" ? signUp(email: email, messages: messages) : signIn(email: email, messages: messages, next: form.next)
        return .page(template, title: view.heading, view: view, status: .init(code: problem.status))
    }
}
