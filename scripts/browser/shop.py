"""The browser suite's shared helpers: a real Chromium (Selenium) on the storefront.

A journey is a function of one `Browser` (a fresh Chromium, so a fresh shopper with no
cookies), registered with `@journey(...)` in a `test_*.py` module of this folder; `run.py`
runs them all in order. Inside a journey, every step is

    with b.step("search", doc="search"):
        b.fill("Search products", "lamp")
        b.press("Search")

which prints a progress line and, once the step's body passed, takes a screenshot
(`NN-search.png` in the artifacts folder, NN counting every screenshot of the run; with
`doc=NAME` and `--docs`, also `NAME.png` in the docs folder). A failing step leaves
`NN-search-FAILED.png` and the page's HTML instead.

Every page the browser lands on (`open`, `follow`, `press`) is checked by `check_page`: its
HTTP status, the Content-Security-Policy header on every answer of the shop that the page
load saw (read from Chrome's DevTools performance log, redirects and assets included), no
error in the browser's console (a CSP violation is one), and the accessibility basics in
the real DOM (`lang`, one `h1`, `alt` on every image, a label for every control).

Elements are found as a person finds them: a control by its label's text, a button or link
by its text, a region by its heading or `aria-label`.
"""

import base64
import contextlib
import datetime
import json
import os
import re
import shutil
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

#: The password of every account the suite makes.
PASSWORD = "a long passphrase 42!"
#: Test cards of the simulated processor.
CARD_APPROVED = "4242424242424242"
CARD_DECLINED = "4000000000000002"
#: A shipping address the API accepts.
ADDRESS = {"Address": "1 Main St", "City": "London", "Postal code": "N1 1AA", "Country": "GB"}

#: Seconds an explicit wait waits for its condition (a page load, an element) before failing.
WAIT = float(os.environ.get("BROWSER_WAIT", "20"))

CHROMIUM = os.environ.get("BROWSER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BROWSER_CHROMEDRIVER", "/usr/bin/chromedriver")

DESKTOP = (1280, 900)
PHONE = (375, 812)


class Failure(AssertionError):
    """A check that failed, with what the browser showed."""


# MARK: journeys


class Journey:
    def __init__(self, name, function, window):
        self.name = name
        self.function = function
        self.window = window


#: Every registered journey, in the order the modules register them.
JOURNEYS = []


def journey(name, window=DESKTOP):
    """Registers `function(browser)` as a journey named `name`, run in a fresh Chromium whose
    window (and so viewport) is `window` (width, height)."""

    def register(function):
        JOURNEYS.append(Journey(name, function, window))
        return function

    return register


class Run:
    """What the journeys of one run share: the shop, where screenshots go, their numbering."""

    def __init__(self, base, artifacts, docs=None):
        self.base = base.rstrip("/")
        self.artifacts = artifacts
        self.docs = docs
        self.shots = 0
        self.docs_written = []
        #: The KNOWN_PROBLEMS paths this run met.
        self.known = set()
        os.makedirs(artifacts, exist_ok=True)
        if docs:
            os.makedirs(docs, exist_ok=True)

    def next_shot(self, name):
        self.shots += 1
        return os.path.join(self.artifacts, f"{self.shots:02d}-{name}.png")


def say(line):
    print(line, flush=True)


# MARK: checks in the real DOM

_ACCESSIBILITY = r"""
const problems = [];
const text = (node) => (node ? node.textContent.replace(/\s+/g, ' ').trim() : '');
const lang = document.documentElement.getAttribute('lang');
if (!lang || !lang.trim()) problems.push('<html> has no lang');
const headings = document.querySelectorAll('h1');
if (headings.length !== 1) problems.push(`${headings.length} h1 elements, not one`);
for (const image of document.querySelectorAll('img')) {
  if (!image.hasAttribute('alt')) problems.push(`<img src="${image.getAttribute('src')}"> has no alt`);
}
const unnamed = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
for (const control of document.querySelectorAll('input, select, textarea')) {
  const type = (control.getAttribute('type') || '').toLowerCase();
  if (control.tagName === 'INPUT' && unnamed.has(type)) continue;
  const byLabel = Array.from(control.labels || []).some((label) => text(label) !== '');
  const byAria = (control.getAttribute('aria-label') || '').trim() !== '';
  const byReference = (control.getAttribute('aria-labelledby') || '').split(/\s+/)
    .some((id) => id && text(document.getElementById(id)) !== '');
  if (!byLabel && !byAria && !byReference) {
    problems.push(`<${control.tagName.toLowerCase()} name="${control.getAttribute('name')}" id="${control.id}"> has no label`);
  }
}
return problems;
"""


#: Problems of the shop that the checks know and do not count, each path: why. The path's
#: answers are not held to the CSP check and its console errors are not counted, and every
#: run names them in a warning line. None now (the pages link their icon, so Chromium no longer
#: asks for /favicon.ico); add one only with the reason and the issue that will fix it.
KNOWN_PROBLEMS = {}


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _csp_problem(csp):
    if not csp:
        return "no Content-Security-Policy header"
    if "default-src" not in csp or "unsafe-inline" in csp:
        return f"a weak Content-Security-Policy: {csp}"
    return None


# MARK: the browser


class Browser:
    """One Chromium driven by chromedriver, as one shopper (its own cookies)."""

    def __init__(self, run, journey):
        self.run = run
        self.journey = journey
        self.width, self.height = journey.window
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            "--no-sandbox",  # as root
            "--disable-dev-shm-usage",
            f"--window-size={self.width},{self.height}",
            "--force-device-scale-factor=1",
            "--lang=en-US",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
        ):
            options.add_argument(argument)
        # The console (driver.get_log("browser")) and DevTools' network events, for check_page.
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        # The viewport exactly `window`: headless Chromium's window keeps room for a browser's
        # bars (1280x900 shows 1280x757) and is never narrower than 500 px, so the page's
        # size is set with DevTools' device metrics instead (a phone's as a mobile browser:
        # the page's viewport meta tag applies). It holds for every page of this tab.
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": self.width < 700},
        )
        self.driver.set_page_load_timeout(WAIT * 3)
        self.step_name = None

    def quit(self):
        try:
            self.driver.quit()
        except Exception:  # the browser may be gone already
            pass

    # MARK: steps and screenshots

    @contextlib.contextmanager
    def step(self, name, doc=None, full_page=False):
        """A step of the journey: a progress line, then a screenshot `NN-name.png` when the body
        passed (and `doc.png` in the docs folder with --docs; the whole page rather than the
        window with `full_page`), or `NN-name-FAILED.png` and the page's HTML when it did not."""
        self.step_name = name
        started = time.monotonic()
        try:
            yield
        except BaseException:
            shot = self.run.next_shot(f"{name}-FAILED")
            with contextlib.suppress(Exception):
                self.driver.save_screenshot(shot)
                with open(shot[: -len(".png")] + ".html", "w", encoding="utf-8") as page:
                    page.write(self.driver.page_source)
            say(f"    {self.journey.name} · {name}: FAILED after {time.monotonic() - started:.1f}s at {self.url()} (see {shot})")
            raise
        shot = self.screenshot(name, doc=doc, full_page=full_page)
        say(f"    {self.journey.name} · {os.path.basename(shot)[:-4]}: ok ({time.monotonic() - started:.1f}s) {self.path()}")

    def screenshot(self, name, doc=None, full_page=False):
        """Saves the window (or the whole page) as the run's next `NN-name.png` (and as `doc.png`
        in the docs folder when the run writes docs); returns its path."""
        shot = self.run.next_shot(name)
        if full_page:
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            image = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1}},
            )
            with open(shot, "wb") as file:
                file.write(base64.b64decode(image["data"]))
        elif not self.driver.save_screenshot(shot):
            raise Failure(f"no screenshot of {self.url()}")
        if doc and self.run.docs:
            target = os.path.join(self.run.docs, f"{doc}.png")
            shutil.copyfile(shot, target)
            self.run.docs_written.append(target)
        return shot

    # MARK: where we are

    def url(self):
        try:
            return self.driver.current_url
        except Exception:
            return "(no page)"

    def path(self):
        """The current page's path and query, without the shop's base."""
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def heading(self):
        return self.text(self.driver.find_element(By.TAG_NAME, "h1"))

    @staticmethod
    def text(element):
        return " ".join((element.get_attribute("textContent") or "").split())

    def fail(self, message):
        """Raises a Failure naming the step, the page, its h1 and any error message shown."""
        details = [f"{self.journey.name} · {self.step_name}: {message}", f"  page: {self.url()}"]
        with contextlib.suppress(Exception):
            details.append(f"  h1: {self.heading()}")
        with contextlib.suppress(Exception):
            for alert in self.driver.find_elements(By.CSS_SELECTOR, "[role=alert], .field-error"):
                details.append(f"  shown: {self.text(alert)}")
        raise Failure("\n".join(details))

    def expect(self, condition, message):
        if not condition:
            self.fail(message)

    def expect_path(self, pattern):
        """The current path (with its query) matches the regular expression `pattern` from its start."""
        self.expect(re.match(pattern, self.path()), f"expected a page at {pattern}, not {self.path()}")

    def wait_until(self, condition, what):
        """Waits (explicitly, up to WAIT seconds) until `condition()` is true; fails naming `what`."""
        try:
            return WebDriverWait(self.driver, WAIT, poll_frequency=0.1).until(lambda _: condition())
        except TimeoutException:
            self.fail(f"waited {WAIT:.0f}s for {what}")

    # MARK: going to pages

    def open(self, path, status=200):
        """Loads `path` of the shop as typed into the address bar, and checks the page."""
        self.driver.get(self.run.base + path)
        self._loaded(status)

    def follow(self, link, within=None, status=200):
        """Clicks the link whose text is `link` (or the element `link`), and checks the page it leads to."""
        element = link if not isinstance(link, str) else self.link(link, within=within)
        self._navigate(element.click, status)

    def press(self, button, within=None, status=200):
        """Clicks the button whose text is `button` (a form's submit), and checks the page it leads to."""
        element = self.button(button, within=within)
        self._navigate(element.click, status)

    def _navigate(self, action, status):
        old = self.driver.find_element(By.TAG_NAME, "html")
        action()

        def replaced():
            # The old page's root is gone once the new page is there. While Chromium swaps the
            # documents, asking about the old node may also fail with "Node with given id does
            # not belong to the document" (gone too) or another transient error (ask again).
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                return "does not belong to the document" in str(error)

        self.wait_until(replaced, "a new page")
        self._loaded(status)

    def _loaded(self, status):
        def complete():
            try:
                return self.driver.execute_script("return document.readyState") == "complete"
            except WebDriverException:
                return False  # between two documents: ask again

        self.wait_until(complete, "the page to load")
        self.check_page(status)

    # MARK: finding elements as a person does

    def _scope(self, within):
        return within if within is not None else self.driver

    def link(self, text, within=None):
        """The one link whose text is `text` (whitespace normalised); else the one that starts with it."""
        links = self._scope(within).find_elements(By.TAG_NAME, "a")
        return self._one(links, text, "link")

    def button(self, text, within=None):
        buttons = self._scope(within).find_elements(By.CSS_SELECTOR, "button, input[type=submit]")
        return self._one(buttons, text, "button", value=True)

    def _one(self, elements, text, what, value=False):
        def name(element):
            return self.text(element) or (element.get_attribute("value") or "" if value else "")

        named = [(name(element), element) for element in elements]
        exact = [element for label, element in named if label == text]
        if len(exact) == 1:
            return exact[0]
        prefixed = [element for label, element in named if label.startswith(text)]
        if len(exact) == 0 and len(prefixed) == 1:
            return prefixed[0]
        self.fail(f"expected one {what} named {text!r}, found {len(exact) or len(prefixed)}: {[label for label, _ in named][:30]}")

    def control(self, label, within=None):
        """The input, select or textarea labelled `label` (label[for], a wrapping label, or
        aria-label): the exact text first, else the one label that starts with it."""
        labels = self._scope(within).find_elements(By.TAG_NAME, "label")
        if not any(self.text(element).startswith(label) for element in labels):
            named = [
                element
                for element in self._scope(within).find_elements(By.CSS_SELECTOR, "input[aria-label], select[aria-label], textarea[aria-label]")
                if element.get_attribute("aria-label") == label
            ]
            self.expect(len(named) == 1, f"expected one control labelled {label!r}, found {len(named)}")
            return named[0]
        element = self._one(labels, label, "label")
        target = element.get_attribute("for")
        if target:
            controls = self.driver.find_elements(By.ID, target)
            self.expect(len(controls) == 1, f"the label {label!r} is for #{target}, which is on the page {len(controls)} times")
            return controls[0]
        nested = element.find_elements(By.CSS_SELECTOR, "input, select, textarea")
        self.expect(len(nested) == 1, f"the label {label!r} names no control")
        return nested[0]

    def fill(self, label, value, within=None):
        element = self.control(label, within=within)
        element.clear()
        element.send_keys(str(value))
        self.expect(element.get_attribute("value") == str(value), f"{label!r} did not take {value!r}")

    def region(self, name):
        """The landmark or section named `name`: by its aria-label, or by the text of its aria-labelledby heading."""
        for element in self.driver.find_elements(By.CSS_SELECTOR, "[aria-label], [aria-labelledby]"):
            if element.get_attribute("aria-label") == name:
                return element
            reference = element.get_attribute("aria-labelledby")
            if reference:
                headings = self.driver.find_elements(By.ID, reference)
                if headings and self.text(headings[0]) == name:
                    return element
        self.fail(f"no region named {name!r}")

    def product_links(self, within=None):
        """The links to products in `within` (default: the page), each once, in order, as
        (name, href, element): the name is the card's `.name`, else the link's text."""
        found = []
        for element in self._scope(within).find_elements(By.CSS_SELECTOR, "a[href*='/products/']"):
            href = element.get_attribute("href")
            name = " ".join(n for n in [self.text(x) for x in element.find_elements(By.CSS_SELECTOR, ".name")] if n) or self.text(element)
            if href and href not in [h for _, h, _ in found]:
                found.append((name, href, element))
        return found

    # MARK: the checks on every page

    def check_page(self, status=200):
        """The page just loaded: its status, its answers' Content-Security-Policy, an empty
        console, and the accessibility basics. `status` is the HTTP status the page must have
        (its console's "Failed to load resource … status of NNN" for the page itself is then
        expected, not an error)."""
        url = self.driver.current_url
        problems = []

        # The answers of the shop this page load saw (the document, any 303 before it, the
        # stylesheet and images), from DevTools' network events.
        documents, answers = [], []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.responseReceived":
                response = params.get("response", {})
                answers.append((response.get("url", ""), response.get("status"), response.get("headers")))
                if params.get("type") == "Document":
                    documents.append(answers[-1])
            elif method == "Network.requestWillBeSent" and params.get("redirectResponse"):
                response = params["redirectResponse"]
                answers.append((response.get("url", ""), response.get("status"), response.get("headers")))
        for answer_url, answer_status, headers in answers:
            if self._known(answer_url, answer_status != 200):
                continue
            if answer_url.startswith(self.run.base + "/"):
                problem = _csp_problem(_header(headers, "Content-Security-Policy"))
                if problem:
                    problems.append(f"{answer_url} ({answer_status}): {problem}")
        page = [document for document in documents if document[0] == url]
        if page:
            _, page_status, _ = page[-1]
        else:
            # No network event for the page (the browser did not fetch it again): ask the shop
            # for the same URL with the browser's cookies.
            page_status, headers = self._fetch(url)
            problem = _csp_problem(_header(headers, "Content-Security-Policy"))
            if problem:
                problems.append(f"{url} (fetched again, {page_status}): {problem}")
        if page_status != status:
            problems.append(f"HTTP status {page_status}, expected {status}")

        for entry in self.driver.get_log("browser"):
            if entry.get("level") != "SEVERE":
                continue
            text = entry.get("message", "")
            if self._known(text.split(" ", 1)[0], "Failed to load resource" in text):
                continue
            if status != 200 and text.startswith(url) and f"status of {status}" in text:
                continue  # the page's own expected status
            problems.append(f"console: {text}")

        problems += [f"accessibility: {problem}" for problem in self.driver.execute_script(_ACCESSIBILITY)]
        if problems:
            self.fail("the page fails its checks:\n    " + "\n    ".join(problems))

    def _known(self, url, failed):
        """Whether a failed answer for `url` is one of KNOWN_PROBLEMS (then warned about once a run)."""
        if not failed or not url.startswith(self.run.base + "/"):
            return False
        path = urllib.parse.urlsplit(url).path
        if path not in KNOWN_PROBLEMS:
            return False
        if path not in self.run.known:
            self.run.known.add(path)
            say(f"    warning: a known problem, not counted: {KNOWN_PROBLEMS[path]}")
        return True

    def _fetch(self, url):
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in self.driver.get_cookies())
        request = urllib.request.Request(url, headers={"Cookie": cookies} if cookies else {})
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as answer:
                return answer.status, dict(answer.headers.items())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items())

    def fits_width(self):
        """Fails when the page is wider than the window (a horizontal scrollbar)."""
        width = self.driver.execute_script("return document.documentElement.scrollWidth")
        if width > self.width:
            wide = self.driver.execute_script(
                """const w = arguments[0]; return Array.from(document.querySelectorAll('body *'))
                   .filter(e => e.getBoundingClientRect().right > w + 0.5)
                   .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
                   + ' right=' + Math.round(e.getBoundingClientRect().right));""",
                self.width,
            )
            self.fail(f"the page is {width}px wide in a {self.width}px window (a horizontal scrollbar): {wide}")
        inner = self.driver.execute_script("return window.innerWidth")
        self.expect(inner == self.width, f"the viewport is {inner}px wide, not the window's {self.width}px")


# MARK: the shopper's shared steps


def unique_email(prefix="browser"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def signed_in(b):
    """Whether the header offers to sign out (the shopper is signed in)."""
    nav = b.region("Account")
    return any(b.text(button) == "Sign out" for button in nav.find_elements(By.TAG_NAME, "button"))


def sign_up(b, email=None, password=PASSWORD):
    """Creates an account from /signup (opened unless it is the page) and is signed in: the
    page after it is the cart. Returns the email."""
    email = email or unique_email()
    if b.path() != "/signup":
        b.open("/signup")
    form = b.driver.find_element(By.CSS_SELECTOR, "main form")
    b.fill("Email", email, within=form)
    b.fill("Password", password, within=form)
    b.press("Create account", within=form)
    b.expect_path(r"/cart$")
    b.expect(signed_in(b), "signed up, but the header does not offer to sign out")
    return email


def sign_in(b, email, password=PASSWORD):
    """Signs in from /signin (opened unless it is the page): the page after it is the cart."""
    if b.path() != "/signin":
        b.open("/signin")
    form = b.driver.find_element(By.CSS_SELECTOR, "main form")
    b.fill("Email", email, within=form)
    b.fill("Password", password, within=form)
    b.press("Sign in", within=form)
    b.expect_path(r"/cart$")
    b.expect(signed_in(b), "signed in, but the header does not offer to sign out")


#: The headings of the home page's product list: a signed-in shopper's picks, what sells most
#: (guests, once there are orders), or the newest products.
HOME_LISTS = ("Picked for you", "Popular", "New in")


def home_products(b):
    """On the home page: the product list's links, as `Browser.product_links` gives them."""
    for heading in HOME_LISTS:
        if b.driver.find_elements(By.XPATH, f"//main//h2[normalize-space()='{heading}']"):
            links = b.product_links(b.region(heading))
            b.expect(links, f"the home page's list {heading!r} has no product")
            return links
    b.fail(f"the home page has none of the product lists {HOME_LISTS}")


def cart_lines(b):
    """The names of the products in the cart page's lines (each line has a quantity field
    labelled "Quantity of NAME")."""
    labels = [b.text(label) for label in b.driver.find_elements(By.CSS_SELECTOR, "main label")]
    return [label[len("Quantity of ") :] for label in labels if label.startswith("Quantity of ")]


def choose_variant(b, index=None):
    """Picks a variant on a product page by clicking its label: the `index`th that is in stock,
    or, by default, one in stock other than the preselected one when there is one. Returns the
    chosen SKU."""
    options = [
        radio for radio in b.driver.find_elements(By.CSS_SELECTOR, "main input[type=radio][name=sku]") if radio.is_enabled()
    ]
    b.expect(options, "no variant in stock to choose")
    if index is None:
        others = [radio for radio in options if not radio.is_selected()]
        chosen = others[0] if others else options[0]
    else:
        chosen = options[index]
    label = b.driver.find_element(By.CSS_SELECTOR, f"label[for='{chosen.get_attribute('id')}']")
    label.click()
    b.wait_until(chosen.is_selected, f"the variant {b.text(label)!r} to be chosen")
    return chosen.get_attribute("value")


def add_to_cart(b, quantity=1):
    """On a product page: sets the quantity and adds the chosen variant; the page after it is
    the cart. Returns the product's name."""
    name = b.heading()
    b.fill("Quantity", quantity)
    b.press("Add to cart")
    b.expect_path(r"/cart$")
    b.expect(name in cart_lines(b), f"{name!r} is not in the cart: {cart_lines(b)}")
    return name


def fill_checkout(b, card, address=ADDRESS):
    """On /checkout: fills in the shipping address and the card (expiring in three years, CVC 123)."""
    for label, value in address.items():
        b.fill(label, value)
    b.fill("Card number", card)
    b.fill("Expiry month", 12)
    b.fill("Expiry year", datetime.date.today().year + 3)
    b.fill("Security code", "123")


def run_journeys(run, journeys):
    """Runs each journey in a fresh Chromium; returns the names of those that failed."""
    failed = []
    for journey in journeys:
        say(f"==> browser journey: {journey.name} ({journey.window[0]}x{journey.window[1]})")
        started = time.monotonic()
        browser = None
        try:
            browser = Browser(run, journey)
            journey.function(browser)
            say(f"==> browser journey: {journey.name}: passed in {time.monotonic() - started:.1f}s")
        except Exception as error:
            failed.append(journey.name)
            if isinstance(error, Failure):
                say(str(error))
            else:
                traceback.print_exc(file=sys.stdout)
            say(f"==> browser journey: {journey.name}: FAILED after {time.monotonic() - started:.1f}s")
        finally:
            if browser:
                browser.quit()
    return failed
