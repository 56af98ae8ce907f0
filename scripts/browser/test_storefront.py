"""The shopper's journeys through the storefront in a real Chromium (docs/storefront.md, Tests).

Every page each journey lands on is checked by `Browser.check_page` (status, CSP header, empty
console, accessibility basics); every step leaves a screenshot. Back-office journeys (/admin)
belong in a module of their own beside this one (test_admin.py), with the same helpers.
"""

import math
import re

from selenium.webdriver.common.by import By

from shop import (
    CARD_APPROVED,
    CARD_DECLINED,
    PHONE,
    add_to_cart,
    cart_lines,
    choose_variant,
    fill_checkout,
    home_products,
    journey,
    sign_in,
    sign_up,
    signed_in,
)


def lowest_prices(b, within):
    """The lowest price on each product card in `within`, in major units (a card shows one
    price, or a range "$43.99 – $53.99" for variants priced differently)."""
    found = []
    for price in within.find_elements(By.CSS_SELECTOR, ".card .price"):
        amounts = [float(amount.replace(",", "")) for amount in re.findall(r"[0-9][0-9,]*(?:\.[0-9]+)?", b.text(price))]
        if amounts:
            found.append(min(amounts))
    return found


def product_count(b):
    """The number of products the search page says it found ("N products")."""
    shown = b.text(b.region("Products"))
    match = re.search(r"([0-9]+) products?", shown)
    b.expect(match, f"the results do not say how many products they have: {shown[:200]!r}")
    return int(match.group(1))


@journey("a guest buys")
def guest_buys(b):
    """A guest searches, filters, picks a variant, fills a cart, signs up (the cart merged) and
    buys with 4242 4242 4242 4242: the order is confirmed, its history shown, the cart empty."""
    with b.step("home", doc="home"):
        b.open("/")
        b.expect(b.heading() == "Welcome to Emporium", f"the home page's h1 is {b.heading()!r}")
        b.expect(b.region("Categories").find_elements(By.TAG_NAME, "a"), "no category on the home page")
        home_products(b)

    with b.step("search"):
        search = b.driver.find_element(By.CSS_SELECTOR, "[role=search]")
        b.fill("Search products", "jacket", within=search)
        b.press("Search", within=search)
        b.expect_path(r"/search\?(.*&)?q=jacket")
        b.expect("jacket" in b.heading().lower(), f"the search page's h1 is {b.heading()!r}")
        b.expect(b.product_links(b.region("Products")), "no product found for 'jacket'")
        everything = product_count(b)

    with b.step("search-filtered", doc="search"):
        # The attribute facet (an attr.NAME=VALUE link, "XL (2)") that narrows the results most.
        facets = []
        for item in b.region("Filters").find_elements(By.CSS_SELECTOR, ".facets li"):
            link = item.find_element(By.TAG_NAME, "a")
            count = re.search(r"\(([0-9]+)\)", b.text(item))
            if "attr." in (link.get_attribute("href") or "") and count and link.get_attribute("aria-current") != "true":
                facets.append((int(count.group(1)), b.text(link), link))
        b.expect(facets, "no attribute facet to filter by")
        count, facet, link = min(facets, key=lambda found: found[0])
        b.follow(link)
        b.expect("attr." in b.path(), f"the facet {facet!r} led to {b.path()}")
        b.expect(product_count(b) == count, f"the facet {facet!r} promised {count} products, the page has {product_count(b)}")
        b.expect(count <= everything, f"the facet {facet!r} found more ({count}) than the search ({everything})")
        # Then a price filter that keeps the dearest product shown.
        shown = lowest_prices(b, b.region("Products"))
        b.expect(shown, "no price on the filtered results")
        highest = math.ceil(max(shown))
        filters = b.region("Filters")
        b.fill("Highest price", highest, within=filters)
        b.press("Apply", within=filters)
        b.expect("max=" in b.path() and "attr." in b.path(), f"the price filter lost a filter: {b.path()}")
        applied = b.region("Filters").find_elements(By.CSS_SELECTOR, ".applied li")
        b.expect(len(applied) >= 3, f"expected the words, the facet and the price as applied filters, saw {[b.text(a) for a in applied]}")
        b.expect(all(b.link("remove", within=a) for a in applied), "an applied filter has no link removing it")
        found = b.product_links(b.region("Products"))
        b.expect(found, "no product left after the filters")
        b.expect(all(price <= highest for price in lowest_prices(b, b.region("Products"))), f"a price above {highest} is shown")

    with b.step("product", doc="product"):
        name, href, link = found[0]
        b.follow(link)
        b.expect_path(r"/products/[0-9a-f-]{36}$")
        b.expect(b.heading() == name, f"opened {name!r}, the page's h1 is {b.heading()!r}")

    with b.step("product-variant"):
        first_sku = choose_variant(b)

    with b.step("cart-one-item"):
        first = add_to_cart(b)
        b.expect(cart_lines(b) == [first], f"the cart has {cart_lines(b)}, expected [{first!r}]")
        b.expect(b.driver.find_elements(By.CSS_SELECTOR, f"form[action='/cart/items/{first_sku}']"), f"no line for the SKU {first_sku}")

    with b.step("second-product"):
        b.open("/")
        others = [(name, link) for name, _, link in home_products(b) if name != first]
        b.expect(others, "no other product on the home page")
        b.follow(others[0][1])
        b.expect_path(r"/products/")

    with b.step("cart-guest"):
        second = add_to_cart(b)
        b.expect(sorted(cart_lines(b)) == sorted([first, second]), f"the guest cart has {cart_lines(b)}")
        b.expect(b.link("Sign in to check out"), "a guest's cart does not offer to sign in")

    with b.step("signup"):
        b.follow("Create account", within=b.region("Account"))
        b.expect_path(r"/signup$")

    with b.step("cart-merged", doc="cart"):
        email = sign_up(b)
        b.expect(sorted(cart_lines(b)) == sorted([first, second]), f"after sign-up the cart has {cart_lines(b)}, not the guest's two items")

    with b.step("checkout", doc="checkout", full_page=True):
        b.follow("Check out")
        b.expect_path(r"/checkout$")
        summary = b.text(b.region("Your order"))
        b.expect(first in summary and second in summary, f"the checkout's summary is {summary!r}")
        fill_checkout(b, CARD_APPROVED)

    with b.step("order-confirmed", doc="order-confirmed"):
        b.press("Place order")
        b.expect_path(r"/orders/[0-9a-f-]{36}$")
        status = b.text(b.driver.find_element(By.CSS_SELECTOR, ".status strong"))
        b.expect(status.lower() == "confirmed", f"the order's status is {status!r}")
        b.expect("your order is confirmed" in b.text(b.driver.find_element(By.TAG_NAME, "main")), "no confirmation shown")
        timeline = [b.text(entry) for entry in b.driver.find_elements(By.XPATH, "//h2[normalize-space()='History']/following-sibling::ol[1]/li")]
        b.expect(any(entry.lower().startswith("confirmed") for entry in timeline), f"the timeline has no confirmation: {timeline}")
        lines = b.text(b.driver.find_element(By.CSS_SELECTOR, "main .lines"))
        b.expect(first in lines and second in lines, f"the order's lines are {lines!r}")

        order = b.path()

    with b.step("cart-empty"):
        b.follow("Cart", within=b.region("Account"))
        b.expect("Your cart is empty" in b.text(b.driver.find_element(By.TAG_NAME, "main")), f"after the order the cart has {cart_lines(b)}")

    with b.step("signed-out"):
        b.press("Sign out", within=b.region("Account"))
        b.expect_path(r"/$")
        b.expect(not signed_in(b), "signed out, but the header still offers to sign out")

    with b.step("orders"):
        sign_in(b, email)
        b.follow("Orders", within=b.region("Account"))
        b.expect_path(r"/orders$")
        listed = [item for item in b.driver.find_elements(By.CSS_SELECTOR, "main li") if item.find_elements(By.CSS_SELECTOR, f"a[href='{order}']")]
        b.expect(listed, f"the order {order} is not listed")
        b.expect("confirmed" in b.text(listed[0]).lower(), f"the order is listed as {b.text(listed[0])!r}")


@journey("a declined card")
def declined_card(b):
    """A shopper's card 4000 0000 0000 0002 is declined: the order page says so in words and
    that the cart was kept, and the cart still has the item."""
    with b.step("declined-product"):
        b.open("/")
        name, _, link = home_products(b)[-1]
        b.follow(link)

    with b.step("declined-cart"):
        item = add_to_cart(b)

    with b.step("declined-signup"):
        sign_up(b)
        b.expect(cart_lines(b) == [item], f"after sign-up the cart has {cart_lines(b)}")

    with b.step("declined-checkout", full_page=True):
        b.follow("Check out")
        fill_checkout(b, CARD_DECLINED)

    with b.step("checkout-declined", doc="checkout-declined"):
        b.press("Place order")
        b.expect_path(r"/orders/[0-9a-f-]{36}$")
        alerts = [b.text(alert) for alert in b.driver.find_elements(By.CSS_SELECTOR, "[role=alert]")]
        b.expect(any("card declined" in alert.lower() for alert in alerts), f"no readable reason shown: {alerts}")
        b.expect(any("cart was kept" in alert.lower() for alert in alerts), f"not told that the cart was kept: {alerts}")
        status = b.text(b.driver.find_element(By.CSS_SELECTOR, ".status strong"))
        b.expect(status.lower() == "cancelled", f"the order's status is {status!r}")

    with b.step("declined-cart-kept"):
        b.follow("Go back to your cart")
        b.expect_path(r"/cart$")
        b.expect(cart_lines(b) == [item], f"after the declined card the cart has {cart_lines(b)}, not [{item!r}]")
        b.expect(b.link("Check out"), "the kept cart cannot be checked out")


@journey("a phone", window=PHONE)
def phone(b):
    """At 375x812 the home and product pages are no wider than the screen."""
    with b.step("phone-home", doc="phone-home"):
        b.open("/")
        b.fits_width()

    with b.step("phone-product"):
        _, _, link = home_products(b)[0]
        b.follow(link)
        b.fits_width()
