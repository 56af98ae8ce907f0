import HTTPTypes
import EmporiumCore
import Foundation
import EmporiumKit
import NIOHTTP1

/// The API as one shopper uses it: with their access token (refreshed, the refresh token
/// rotating, when it has expired), or as a guest with their cart's `X-Cart-Id`.
struct Shopper: Sendable {
    let api: ShopAPI

    /// The shopper's access token, refreshed first when it has expired; nil for a guest, and
    /// for a shopper whose refresh token the API refused (then signed out).
    func token(_ visit: inout Visit) async throws(ShopAPIError) -> String? {
        if let access = visit.accessToken, !AccessTokenClaims.needsRefresh(access) { return access }
        guard let refresh = visit.refreshToken else { return nil }
        let answer = try await api.send(.POST, "/v1/auth/refresh", json: ["refreshToken": refresh], headers: forwarded(visit))
        guard answer.isSuccess, let tokens = try? answer.decode(APITypes.Tokens.self) else {
            if answer.status == 400 || answer.status == 401 { visit.forgetTokens() } else { throw answer.refusal }
            return nil
        }
        visit.keep(tokens)
        return tokens.accessToken
    }

    /// Sends a call as the shopper: signed in when they are, else as a guest with their cart.
    func send(
        _ visit: inout Visit, _ method: HTTPMethod, _ target: String, json: (any Encodable)? = nil, headers: [(String, String)] = []
    ) async throws(ShopAPIError) -> ShopAPI.Answer {
        let token = try await token(&visit)
        var extra = forwarded(visit) + headers
        if token == nil, let cart = visit.cartID { extra.append(("X-Cart-Id", cart)) }
        let answer = try await api.send(method, target, json: json, token: token, headers: extra)
        if token == nil, answer.isSuccess, target.hasPrefix("/v1/cart") { visit.keepCart(answer.headers.first(name: "X-Cart-Id")) }
        return answer
    }

    /// Sends a call that needs the shopper signed in.
    /// - Throws: a 401 refusal (the page sends them to sign in) when they are not.
    func sendSignedIn(
        _ visit: inout Visit, _ method: HTTPMethod, _ target: String, json: (any Encodable)? = nil, headers: [(String, String)] = []
    ) async throws(ShopAPIError) -> ShopAPI.Answer {
        guard try await token(&visit) != nil else { throw Self.signInNeeded }
        return try await send(&visit, method, target, json: json, headers: headers)
    }

    /// Signs the shopper in with `tokens`: keeps them, merges the guest cart into theirs, and
    /// starts a new session.
    func signIn(_ visit: inout Visit, tokens: APITypes.Tokens) async throws(ShopAPIError) {
        visit.keep(tokens)
        visit.renewSession()
        if let guestCart = visit.cartID {
            let answer = try await api.send(
                .POST, "/v1/cart/merge", token: tokens.accessToken, headers: forwarded(visit) + [("X-Cart-Id", guestCart)])
            // A guest cart that is gone (expired) leaves nothing to merge.
            guard answer.isSuccess || answer.status == 404 || answer.status == 400 else { throw answer.refusal }
            visit.forgetCart()
        }
    }

    /// A public call (no token, no cart) as `Value`; nil when it fails or is refused, for a part
    /// of a page that can be left out.
    func fetch<Value: Decodable & Sendable>(_ visit: Visit, _ target: String, as type: Value.Type) async -> Value? {
        guard let answer = try? await api.send(.GET, target, headers: forwarded(visit)) else { return nil }
        return try? answer.decode(Value.self)
    }

    /// The stock of each of `skus` that has any, asked at once (`GET /v1/inventory/{sku}`).
    func stockLevels(_ visit: Visit, skus: [String]) async -> [String: APITypes.Stock] {
        await withTaskGroup(of: APITypes.Stock?.self) { group in
            for sku in skus {
                group.addTask { await fetch(visit, "/v1/inventory/\(QueryString.encode(sku))", as: APITypes.Stock.self) }
            }
            var levels: [String: APITypes.Stock] = [:]
            for await level in group {
                if let level { levels[level.sku] = level }
            }
            return levels
        }
    }

    /// `X-Forwarded-For` with the shopper's address.
    func forwarded(_ visit: Visit) -> [(String, String)] {
        [("X-Forwarded-For", visit.clientAddress)]
    }

    static let signInNeeded = ShopAPIError.refused(ProblemDetails(
        type: ProblemDetails.typeBase + "unauthorized", title: "Sign in first.", status: .unauthorized))
}
