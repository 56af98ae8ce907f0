"""Checks a real HTTP cache in front of `emporium serve` (scripts/check-edge-cache, docs/caching.md).

    python3 check_edge_cache.py NAME CACHE_URL ORIGIN_URL MANAGER_EMAIL MANAGER_PASSWORD MAX_AGE STOP_ORIGIN_COMMAND MODE

Asserts what a shop would check through its CDN tier: a product GET served from the cache the
second time (the origin's request counter for the route does not move); If-None-Match answered
304 with no body, by the origin and through the cache; nothing of a caller's (a bearer token, a
cookie, the cart, the orders, /v1/users/me) stored, so two users in turn see only their own data; the
storefront's product page kept for guests and private with a session cookie; a price
change visible through the cache within one second when the origin purges (MODE purge: its
purge counter moves too), or after max-age when it does not (MODE ttl); and, with the origin
stopped (STOP_ORIGIN_COMMAND, run last), the stale product still served (stale-if-error).
"""

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

NAME, CACHE, ORIGIN, MANAGER_EMAIL, MANAGER_PASSWORD, MAX_AGE, STOP_ORIGIN, MODE = sys.argv[1:9]
MAX_AGE = int(MAX_AGE)
PASSWORD = "edge cache passphrase 42!"
failures = []


def say(line):
    print(f"    {NAME}: {line}", flush=True)


def check(condition, message):
    if condition:
        say(f"ok   {message}")
    else:
        say(f"FAIL {message}")
        failures.append(message)


def request(base, path, method="GET", body=None, headers=None):
    """(status, headers, body bytes) of one request, without following redirects."""
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def metric(name, label):
    """The sum of the origin's Prometheus series `name` whose labels include `label`."""
    _, _, body = request(ORIGIN, "/metrics", headers={"Accept": "text/plain"})
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name + "{") and label in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def origin_count(route):
    """The origin's answered requests of `route` so far."""
    return metric("http_requests_total", f'route="{route}"')


def token(email, password=PASSWORD, register=True):
    if register:
        status, _, _ = request(ORIGIN, "/v1/auth/register", "POST", {"email": email, "password": password})
        assert status == 201, f"register {email}: {status}"
    status, _, body = request(ORIGIN, "/v1/auth/login", "POST", {"email": email, "password": password})
    assert status == 200, f"login {email}: {status} {body[:200]}"
    return "Bearer " + json.loads(body)["accessToken"]


def wait_for(what, condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


# A product of the demo catalog, asked through the cache: a miss, then a hit.
_, _, listing = request(ORIGIN, "/v1/products?limit=1&sort=newest")
product = json.loads(listing)["items"][0]
path = f"/v1/products/{product['id']}"
route = "/v1/products/{id}"

status, first_headers, first_body = request(CACHE, path)
check(status == 200, f"GET {path} through the cache answers 200 ({status})")
check(first_headers.get("Cache-Control", "").startswith("public, max-age="), f"a public read says so: Cache-Control {first_headers.get('Cache-Control')!r}")
check("ETag" in first_headers and "Last-Modified" in first_headers, "it has an ETag and a Last-Modified")
before = origin_count(route)
check(before >= 1, f"the origin counts the route's requests ({before})")
status, second_headers, second_body = request(CACHE, path)
check(status == 200 and second_body == first_body, "the second GET answers the same product")
check(second_headers.get("X-Cache", "").startswith("HIT"), f"the second GET is a cache hit (X-Cache: {second_headers.get('X-Cache')!r})")
check(origin_count(route) == before, "the origin's request counter for the route did not move")

# Conditional GETs: 304 without a body, from the origin and through the cache.
etag = first_headers["ETag"]
for base, where in [(ORIGIN, "the origin"), (CACHE, "the cache")]:
    status, headers, body = request(base, path, headers={"If-None-Match": etag})
    check(status == 304 and body == b"", f"If-None-Match with the current ETag: 304 with no body from {where} ({status}, {len(body)} bytes)")

# The storefront's product page for a guest (no cookie): kept like the API's answer; with a
# session cookie it is the visitor's and reaches the origin.
page = f"/products/{product['id']}"
page_route = "/products/{id}"
html = {"Accept": "text/html"}
status, page_headers, page_body = request(CACHE, page, headers=html)
check(status == 200 and page_headers.get("Cache-Control", "").startswith("public, max-age="),
      f"a guest's product page through the cache is public ({status}, {page_headers.get('Cache-Control')!r})")
check(page_headers.get("Set-Cookie") is None, "and sets no cookie")
before = origin_count(page_route)
status, headers, body = request(CACHE, page, headers=html)
check(status == 200 and body == page_body and headers.get("X-Cache", "").startswith("HIT"),
      f"a second guest gets the same page from the cache (X-Cache: {headers.get('X-Cache')!r})")
check(origin_count(page_route) == before, "the origin's counter for the page did not move")
status, headers, _ = request(CACHE, page, headers={**html, "Cookie": "sf_session=" + "A" * 43})
check(origin_count(page_route) == before + 1 and headers.get("Cache-Control") == "private, no-store",
      f"with a session cookie the page reaches the origin and is private ({headers.get('Cache-Control')!r})")

# Nothing of a caller's is stored: a bearer token, a cookie, the cart, the profile.
alice, bob = f"edge-alice-{uuid.uuid4().hex[:8]}@example.com", f"edge-bob-{uuid.uuid4().hex[:8]}@example.com"
alice_token, bob_token = token(alice), token(bob)
before = origin_count(route)
for _ in range(2):
    status, headers, _ = request(CACHE, path, headers={"Authorization": alice_token})
after = origin_count(route)
check(after == before + 2, f"GETs with a bearer token all reach the origin ({before} → {after})")
check(headers.get("Cache-Control") == "private, no-store", f"and are private: {headers.get('Cache-Control')!r}")
before = origin_count(route)
request(CACHE, path, headers={"Cookie": "sf_session=abc"})
after = origin_count(route)
check(after == before + 1, f"a GET with a cookie reaches the origin ({before} → {after})")

wait_for("the profiles", lambda: request(ORIGIN, "/v1/users/me", headers={"Authorization": bob_token})[0] == 200, 20)
for email, bearer in [(alice, alice_token), (bob, bob_token), (alice, alice_token)]:
    status, headers, body = request(CACHE, "/v1/users/me", headers={"Authorization": bearer})
    shown = json.loads(body).get("email") if status == 200 else None
    check(shown == email, f"/v1/users/me through the cache shows {email} its own profile ({shown})")
sku = product["variants"][0]["sku"]
status, _, _ = request(CACHE, "/v1/cart/items", "POST", {"sku": sku, "quantity": 1}, headers={"Authorization": alice_token})
check(status in (200, 201), f"alice adds {sku} to her cart through the cache ({status})")
for who, bearer, lines in [("alice", alice_token, 1), ("bob", bob_token, 0), ("alice", alice_token, 1)]:
    status, headers, body = request(CACHE, "/v1/cart", headers={"Authorization": bearer})
    shown = len(json.loads(body).get("lines", [])) if status == 200 else None
    check(shown == lines, f"{who}'s cart through the cache has {lines} line(s) ({shown}; Cache-Control {headers.get('Cache-Control')!r})")

before = origin_count("/v1/orders")
for bearer in [alice_token, bob_token]:
    status, headers, _ = request(CACHE, "/v1/orders", headers={"Authorization": bearer})
    control = headers.get("Cache-Control", "")
    check(status == 200 and "no-store" in control.split(", "), f"/v1/orders through the cache is never stored ({status}, {control!r})")
check(origin_count("/v1/orders") == before + 2, "and every GET of it reaches the origin")

# A new price: within a second when the origin purges, else once max-age has passed.
manager = token(MANAGER_EMAIL, MANAGER_PASSWORD, register=False)


refreshing = []


def fetched_now():
    """Whether the cache's copy was just fetched from the origin: Varnish says Age 0; nginx a
    MISS or EXPIRED, or, refreshing in the background (STALE, UPDATING), the answer after it."""
    _, headers, _ = request(CACHE, path)
    status = headers.get("X-Cache", "")
    if headers.get("Age") == "0" or status in ("MISS", "EXPIRED") or (refreshing and status == "HIT"):
        return True
    if status in ("STALE", "UPDATING"):
        refreshing.append(status)
        time.sleep(0.3)
    return False


# A copy fetched just now, so that it stays fresh for max-age after the change.
check(wait_for("a fresh copy", fetched_now, MAX_AGE + 35), "the cache fetches a fresh copy once its own expires")
purges = metric("emporium_edge_purges_total", 'outcome="purged"')
status, headers, body = request(ORIGIN, path, headers={"Authorization": manager})
current = json.loads(body)
variants = [{"sku": v["sku"], "attributes": v.get("attributes", {}), "price": v["price"]} for v in current["variants"]]
new_amount = variants[0]["price"]["amount"] + 100
variants[0]["price"]["amount"] = new_amount
status, _, body = request(ORIGIN, path, "PATCH", {"variants": variants}, headers={"Authorization": manager, "If-Match": headers["ETag"]})
check(status == 200, f"the manager changes the price at the origin ({status})")


def cached_amount():
    status, _, body = request(CACHE, path)
    return json.loads(body)["variants"][0]["price"]["amount"] if status == 200 else None


changed_at = time.monotonic()
if MODE == "purge":
    shown = wait_for("the new price", lambda: cached_amount() == new_amount, 1)
    check(shown, f"the new price shows through the cache within 1 s (purged; max-age is {MAX_AGE} s): after {time.monotonic() - changed_at:.1f} s")
    after = metric("emporium_edge_purges_total", 'outcome="purged"')
    check(after > purges, f"the origin counts its purges ({purges} → {after})")
    page_purged = wait_for("the page fetched anew", lambda: request(CACHE, page, headers=html)[1].get("X-Cache", "").startswith("MISS"), 1)
    check(page_purged, "the guest's product page was purged with it (the next GET a miss)")
else:
    check(cached_amount() != new_amount, "without purges, the cache keeps showing the old price at first")
    shown = wait_for("the new price", lambda: cached_amount() == new_amount, MAX_AGE + 10)
    elapsed = time.monotonic() - changed_at
    check(shown and elapsed >= MAX_AGE - 1.5, f"and the new price once max-age ({MAX_AGE} s) has passed: after {elapsed:.1f} s")

# The origin down: the cache still answers with the product (stale-if-error).
request(CACHE, path)
subprocess.run(STOP_ORIGIN, shell=True, check=True)
time.sleep(MAX_AGE + 4)
status, headers, body = request(CACHE, path)
check(status == 200 and json.loads(body).get("id") == product["id"], f"with the origin stopped and max-age passed, the cache serves the stale product ({status})")

if failures:
    print(f"{NAME}: {len(failures)} check(s) failed", flush=True)
    sys.exit(1)
print(f"{NAME}: every check passed", flush=True)
