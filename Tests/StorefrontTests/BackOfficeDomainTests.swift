import EmporiumCore
import Foundation
import Security
import Testing

@testable import Storefront

/// The back office's rules without I/O: who sees which section, where a sign-in may return to,
/// the product form and the token claims the pages read.
@Suite("Back office domain")
struct BackOfficeDomainTests {
    @Test("each role opens the sections of its permissions; a customer none")
    func sectionsPerRole() {
        func sections(_ roles: [Role]) -> [BackOfficeSection] { BackOfficeSection.open(to: RolePermissions.permissions(of: roles)) }
        #expect(sections([.customer]) == [])
        #expect(!BackOfficeSection.isStaff(RolePermissions.permissions(of: [Role.customer])))
        #expect(sections([.catalogManager]) == [.products])
        #expect(sections([.support]) == [.orders, .users])
        #expect(sections([.admin]) == BackOfficeSection.allCases)
        #expect(sections([.customer, .support]) == [.orders, .users])
    }

    @Test("a sign-in returns to a path of this site only", arguments: [
        ("/admin", "/admin"), ("/admin/orders?status=confirmed", "/admin/orders?status=confirmed"),
        ("//evil.example/x", nil), ("https://evil.example", nil), ("/\\evil.example", nil), ("admin", nil), ("", nil),
        ("/a b", nil), ("/a\u{0}b", nil), ("/a\r\nSet-Cookie: x=1", nil), (nil, nil),
    ] as [(String?, String?)])
    func localRedirects(candidate: String?, expected: String?) {
        #expect(LocalRedirect.path(candidate) == expected)
    }

    @Test("the product form: blank rows skipped, every field checked, API errors mapped to their row")
    func productForm() {
        var data = FormData([
            "name": "Lamp", "description": "", "categoryId": "c1", "status": "active", "currency": "EUR",
            "sku.0": "L-1", "attributes.0": "size=S, colour = red", "price.0": "12.5",
            "sku.1": "", "attributes.1": "", "price.1": "",
            "sku.2": "L-2", "attributes.2": "", "price.2": "7",
        ])
        let form = ProductForm(data, fallbackCurrency: "USD")
        #expect(form.rows.count == 3)
        let (body, messages, rows) = form.body()
        #expect(messages.isEmpty)
        #expect(rows == [0, 2])
        #expect(body?.variants == [
            .init(sku: "L-1", attributes: ["size": "S", "colour": "red"], price: Money(amount: 1_250, currency: "EUR")),
            .init(sku: "L-2", attributes: [:], price: Money(amount: 700, currency: "EUR")),
        ])
        #expect(ProductForm.apiNames(rowOfVariant: rows)["variants[1].price.amount"] == "price.2")
        #expect(ProductForm.apiNames(rowOfVariant: rows)["variants[0].sku"] == "sku.0")

        data = FormData(["name": "Lamp", "currency": "XXX1", "sku.0": "", "attributes.0": "size", "price.0": "1,5"])
        let bad = ProductForm(data, fallbackCurrency: "USD")
        #expect(bad.currency == "USD", "an unknown currency falls back")
        let refused = bad.body()
        #expect(refused.body == nil)
        #expect(Set(refused.messages.byField.keys) == ["sku.0", "attributes.0", "price.0"])

        let empty = ProductForm(FormData(["name": "Lamp", "sku.0": "", "price.0": ""]), fallbackCurrency: "USD").body()
        #expect(empty.body == nil && empty.messages.form != nil, "a product needs a variant")
        #expect(ProductForm.attributes("a=1, a=2") == nil, "an attribute named twice")
        #expect(ProductForm.attributesText(["size": "M", "colour": "red"]) == "colour=red, size=M")
    }

    @Test("a stale or malformed version becomes an entity tag no product has")
    func entityTags() {
        #expect(BackOfficeController.entityTag("\"12\"") == "\"12\"")
        for bad in [nil, "", "12", "\"\"", "\"1\r\nX: y\"", "*", "W/\"1\""] as [String?] {
            #expect(BackOfficeController.entityTag(bad) == "\"0\"", "\(String(describing: bad))")
        }
    }

    @Test("token claims: expiry and roles, unknown roles dropped, garbage reads as nothing")
    func tokenClaims() {
        func token(_ claims: String) -> String {
            "e30." + Data(claims.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "") + ".sig"
        }
        let claims = AccessTokenClaims(token: token(#"{"exp": 2000000000, "roles": ["support", "root"]}"#))
        #expect(claims.roles == [.support])
        #expect(claims.permissions.contains(.ordersRead) && !claims.permissions.contains(.catalogWrite))
        #expect(!AccessTokenClaims.needsRefresh(token(#"{"exp": 2000000000}"#), now: Date(timeIntervalSince1970: 1_999_999_000)))
        #expect(AccessTokenClaims.needsRefresh(token(#"{"exp": 2000000000}"#), now: Date(timeIntervalSince1970: 1_999_999_990)))
        #expect(AccessTokenClaims(token: "garbage").roles == [] && AccessTokenClaims.needsRefresh("garbage"))
    }
}
