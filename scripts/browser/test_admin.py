"""The back office (/admin) in a real Chromium (docs/storefront.md, Back office): a customer who
opens it gets a 403 page and no link to it; a catalog manager signs in from it, changes a
variant's price, and the shop shows the new price.

The catalog manager's account is made by scripts/browser-test (`emporium admin create-user`)
and named in BROWSER_MANAGER_EMAIL and BROWSER_MANAGER_PASSWORD.
"""

import decimal
import os
import re

from selenium.webdriver.common.by import By

from shop import journey, sign_up


@journey("a customer is refused the back office")
def customer_refused(b):
    """A signed-in customer has no link to the back office, and /admin is a 403 page."""
    with b.step("customer-signs-up"):
        sign_up(b)
        links = [b.text(link) for link in b.region("Account").find_elements(By.TAG_NAME, "a")]
        b.expect("Back office" not in links, f"a customer's header links the back office: {links}")

    with b.step("admin-refused", doc="admin-refused"):
        b.open("/admin", status=403)
        b.expect(b.heading() == "Not allowed", f"the 403 page's h1 is {b.heading()!r}")


@journey("a catalog manager changes a price")
def manager_changes_price(b):
    """A catalog manager opens /admin (sent to sign in and back), opens a product, raises its
    first variant's price by 1, saves, and the shop's product page shows the new price."""
    email = os.environ.get("BROWSER_MANAGER_EMAIL")
    password = os.environ.get("BROWSER_MANAGER_PASSWORD")
    b.expect(email and password, "no catalog manager account: scripts/browser-test sets BROWSER_MANAGER_EMAIL and BROWSER_MANAGER_PASSWORD")

    with b.step("admin-sign-in"):
        b.open("/admin")
        b.expect_path(r"/signin\?next=%2Fadmin$")
        form = b.driver.find_element(By.CSS_SELECTOR, "main form")
        b.fill("Email", email, within=form)
        b.fill("Password", password, within=form)
        b.press("Sign in", within=form)
        b.expect_path(r"/admin$")
        links = [b.text(link) for link in b.region("Account").find_elements(By.TAG_NAME, "a")]
        b.expect("Back office" in links, f"a catalog manager's header does not link the back office: {links}")

    with b.step("admin-products", doc="admin-products"):
        b.open("/admin/products")
        rows = b.driver.find_elements(By.CSS_SELECTOR, "main table.grid tbody tr a")
        b.expect(rows, "the product list is empty")
        product = rows[0]
        name = b.text(product)

    with b.step("admin-product", doc="admin-product"):
        b.follow(product)
        b.expect(b.heading() == f"Edit {name}", f"the product form's h1 is {b.heading()!r}")
        variant = b.driver.find_element(By.CSS_SELECTOR, "main fieldset.variant")
        price_label = next(b.text(label) for label in variant.find_elements(By.TAG_NAME, "label") if b.text(label).startswith("Price"))
        old = decimal.Decimal(b.control(price_label, within=variant).get_attribute("value"))
        new = old + 1
        b.fill(price_label, f"{new:.2f}", within=variant)
        b.press("Save")
        b.expect("The product was saved." in b.text(b.driver.find_element(By.TAG_NAME, "main")), "no word that the product was saved")
        shop_link = b.link("See it in the shop")
        shop_path = re.sub(r"^https?://[^/]+", "", shop_link.get_attribute("href"))

    with b.step("shop-shows-new-price", doc="shop-new-price"):
        b.open(shop_path)
        shown = b.text(b.driver.find_element(By.TAG_NAME, "main")).replace(",", "")
        b.expect(f"{new:.2f}" in shown, f"the shop's product page does not show the new price {new:.2f}: {shown[:300]!r}")
