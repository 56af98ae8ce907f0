#!/usr/bin/env python3
"""Shopper traffic through the gateway at a steady, modest rate, for dashboards to show something
(scripts/render-dashboards). Standard library only.

    scripts/services/shoppers.py GATEWAY_URL [--seconds 180] [--rate 4]

For SECONDS, about RATE requests a second, one at a time, each the next step of a journey drawn
at random: browsing the catalog (lists, categories, products, their stock and recommendations),
searching, guest carts, signed-in shoppers filling a cart and checking out with a card that the
simulated processor approves (4242424242424242), declines (4000000000000002) or refuses for
insufficient funds (4000000000009995), looking at their profile, orders, notifications and
recommendations, signing in again; and mistakes: unknown products, SKUs and paths (404), invalid
input (400/422), a wrong password (401).
Prints a progress line every 30 s and a summary; exits 1 when no checkout was confirmed.
"""
import argparse
import collections
import json
import random
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid

APPROVED, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"
ADDRESS = {"line1": "1 Main St", "city": "London", "postalCode": "N1 1AA", "country": "GB"}
SEARCHES = ["lamp", "chair", "mug", "shirt", "book", "desk", "coffee", "blue", "wood", "no-such-thing"]


class Shop:
    """The gateway, with what every answer was counted as."""

    def __init__(self, base):
        self.base = base
        self.statuses = collections.Counter()
        self.checkouts = collections.Counter()
        self.requests = 0
        self.pace = None  # called before each request: keeps the rate

    def call(self, method, path, body=None, token=None, headers=None):
        """(status, parsed JSON body or None, answer headers); never raises for an HTTP status."""
        if self.pace:
            self.pace()
        request = urllib.request.Request(self.base + path, method=method, headers={"Accept": "application/json"})
        if body is not None:
            request.add_header("Content-Type", "application/json")
            request.data = json.dumps(body).encode()
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, text, answer_headers = error.code, error.read(), error.headers
        except OSError:
            self.statuses["no answer"] += 1
            return 0, None, {}
        self.statuses[f"{status // 100}xx"] += 1
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, parsed, answer_headers


class Shopper:
    """A signed-in shopper with a card of each kind."""

    def __init__(self, shop):
        self.shop = shop
        self.credentials = {"email": f"shopper-{secrets.token_hex(5)}@example.com",
                            "password": f"shopping passphrase {secrets.token_hex(4)}"}
        self.token, self.cards = None, {}

    def sign_up(self):
        status, _, _ = self.shop.call("POST", "/v1/auth/register", self.credentials)
        if status != 201 or not self.sign_in():
            return False
        year = time.gmtime().tm_year + 3
        for number in (APPROVED, DECLINED, NO_FUNDS):
            status, card, _ = self.shop.call("POST", "/v1/payment-methods",
                                             {"number": number, "expMonth": 12, "expYear": year, "cvc": "123"},
                                             token=self.token)
            if status == 201:
                self.cards[number] = card["id"]
        return len(self.cards) == 3

    def sign_in(self):
        status, answer, _ = self.shop.call("POST", "/v1/auth/login", self.credentials)
        if status == 200:
            self.token = answer["accessToken"]
        return status == 200

    def buy(self, products):
        for product in random.sample(products, k=min(len(products), random.choice((1, 1, 2)))):
            self.shop.call("POST", "/v1/cart/items", {"sku": product["sku"], "quantity": random.choice((1, 1, 2))},
                           token=self.token)
        self.shop.call("GET", "/v1/cart", token=self.token)
        card = random.choices((APPROVED, DECLINED, NO_FUNDS), weights=(7, 2, 1))[0]
        status, order, _ = self.shop.call("POST", "/v1/checkout", {"paymentMethodId": self.cards[card], "shippingAddress": ADDRESS},
                                          token=self.token, headers={"Idempotency-Key": secrets.token_hex(12)})
        if status == 201:
            self.shop.checkouts[order.get("status", "?") + (f" ({order['cancellationCode']})" if order.get("cancellationCode") else "")] += 1
            if random.random() < 0.5:
                self.shop.call("GET", f"/v1/orders/{order['id']}", token=self.token)
        else:
            self.shop.checkouts[f"answered {status}"] += 1
            self.shop.call("DELETE", "/v1/cart", token=self.token)  # start the next one afresh


def catalog(shop):
    """The products to shop for: [{"id", "sku"}] of the first page."""
    status, page, _ = shop.call("GET", "/v1/products?limit=40")
    if status != 200:
        sys.exit(f"shoppers: GET /v1/products answered {status}")
    return [{"id": item["id"], "sku": variant["sku"]} for item in page["items"] for variant in item["variants"][:1]]


def journeys(shop, products, shoppers):
    """Each journey a function of no arguments, with its weight."""
    guest_cart = {}

    def shopper():
        if len(shoppers) < 8 and (not shoppers or random.random() < 0.2):
            new = Shopper(shop)
            if new.sign_up():
                shoppers.append(new)
        return random.choice(shoppers) if shoppers else None

    def browse():
        shop.call("GET", f"/v1/products?limit={random.choice((10, 20))}")
        product = random.choice(products)
        shop.call("GET", f"/v1/products/{product['id']}")
        if random.random() < 0.5:
            shop.call("GET", f"/v1/recommendations/products/{product['id']}?limit=4")
        if random.random() < 0.3:
            shop.call("GET", f"/v1/inventory/{product['sku']}")

    def search():
        shop.call("GET", f"/v1/products?q={random.choice(SEARCHES)}&limit=5")

    def categories():
        shop.call("GET", "/v1/categories")

    def guest():
        headers = {"X-Cart-Id": guest_cart["id"]} if guest_cart else {}
        status, _, answer = shop.call("POST", "/v1/cart/items", {"sku": random.choice(products)["sku"], "quantity": 1},
                                      headers=headers)
        if status == 200 and answer.get("X-Cart-Id"):
            guest_cart["id"] = answer["X-Cart-Id"]
        if random.random() < 0.3:
            guest_cart.clear()  # that guest leaves; the next one starts a cart

    def checkout():
        someone = shopper()
        if someone:
            someone.buy(products)

    def account():
        someone = shopper()
        if someone:
            shop.call("GET", "/v1/users/me", token=someone.token)
            shop.call("GET", "/v1/orders?limit=5", token=someone.token)
            shop.call("GET", "/v1/notifications?limit=5", token=someone.token)
            shop.call("GET", "/v1/recommendations/me?limit=4", token=someone.token)
            if random.random() < 0.3:
                shop.call("GET", "/v1/notifications/preferences", token=someone.token)
                shop.call("PATCH", "/v1/users/me", {"name": f"Shopper {secrets.token_hex(2)}"}, token=someone.token)

    def sign_in_again():
        someone = shopper()
        if someone:
            someone.sign_in()

    def not_found():
        random.choice([lambda: shop.call("GET", f"/v1/products/{uuid.uuid4()}"),
                       lambda: shop.call("GET", "/v1/no-such-page"),
                       lambda: shop.call("GET", f"/v1/inventory/NO-SUCH-SKU-{secrets.token_hex(3)}"),
                       lambda: shop.call("GET", f"/v1/recommendations/products/{uuid.uuid4()}")])()

    def mistakes():
        random.choice([
            lambda: shop.call("POST", "/v1/cart/items", {"sku": random.choice(products)["sku"], "quantity": 0}),
            lambda: shop.call("POST", "/v1/auth/register", {"email": "not an email", "password": "x"}),
            lambda: shop.call("POST", "/v1/auth/login", {"email": "nobody@example.com", "password": "wrong password 1"}),
            lambda: shop.call("GET", "/v1/products?limit=1000"),
        ])()

    return [(browse, 30), (search, 15), (categories, 5), (guest, 8), (checkout, 18), (account, 6),
            (sign_in_again, 3), (not_found, 5), (mistakes, 5)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gateway_url")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--rate", type=float, default=4, help="requests a second (default 4)")
    arguments = parser.parse_args()
    shop = Shop(arguments.gateway_url.rstrip("/"))
    products = catalog(shop)
    shoppers = []
    started = time.monotonic()
    end = started + arguments.seconds
    next_report = started + 30

    def pace():  # one request every 1/rate seconds, on a fixed schedule
        nonlocal next_report
        now = time.monotonic()
        wait = started + shop.requests / arguments.rate - now
        if wait > 0:
            time.sleep(wait)
        if now >= next_report:
            print(f"    shoppers: {now - started:.0f} s, {report(shop)}", flush=True)
            next_report += 30

    shop.pace = pace
    choices = journeys(shop, products, shoppers)
    while time.monotonic() < end:
        random.choices([j for j, _ in choices], weights=[w for _, w in choices])[0]()
    print(f"    shoppers: done after {time.monotonic() - started:.0f} s, {report(shop)}", flush=True)
    return 0 if shop.checkouts["confirmed"] else 1


def report(shop):
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(shop.statuses.items()))
    checkouts = ", ".join(f"{n} {s}" for s, n in sorted(shop.checkouts.items())) or "none yet"
    return f"{shop.requests} requests ({statuses}); checkouts: {checkouts}"


if __name__ == "__main__":
    sys.exit(main())
