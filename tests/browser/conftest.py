"""Real-browser fixtures: the real app on a live server, host pages on other origins, Chromium.

* ``live_server``: the session's app (the same database as the test) served by
  werkzeug on 127.0.0.1 and a free port, from a background thread.
* ``host_pages``: two more little servers, on other ports (so other origins), serving
  the pages that embed ``<script src="{api}/widget.js" data-touchpoint=…>``: one whose
  origin the tests' touchpoints allow, one whose origin none does.
* ``browser``: Debian's Chromium (never a downloaded one) through Playwright, once per
  session; ``page`` is a fresh context and tab per test, whose uncaught errors fail it
  (``page_for(**options)`` the same, in a context with other options: a locale, headers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from .servers import HostPages, serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
# Playwright waits: generous against a loaded CI machine, short enough to fail fast.
ACTION_TIMEOUT_MS = 10_000
EXPECT_TIMEOUT_MS = 7_000


@pytest.fixture(scope="session")
def live_server(app):
    """The real app and database, at http://127.0.0.1:<free port>."""
    from feedback_service.sentiment import rules as sentiment

    # The first comment scored in process loads VADER's lexicon and the language model: about
    # a second, several on a loaded machine, which the first test's PATCH then waited behind.
    sentiment.preload()
    server = serve(app, "live-server")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def host_pages(live_server):
    """The host pages, served twice: on an origin the touchpoints allow and on one they do not."""
    pages = HostPages(api=live_server.origin)
    own, foreign = serve(pages, "host-pages"), serve(pages, "foreign-pages")
    pages.origin, pages.foreign_origin = own.origin, foreign.origin
    yield pages
    own.stop()
    foreign.stop()


# ---- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"The browser tests need Debian's Chromium at {CHROMIUM}: run .ci/ensure-chromium "
                    "(it apt-installs the 'chromium' package). Never 'playwright install'.", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: .venv/bin/pip install -e '.[dev]'", pytrace=False)
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Runs in every page before its own scripts: CSP violations, as the page itself sees them.
INIT_SCRIPT = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || ''));
});
"""


@dataclass
class BrowserLog:
    """What the page reported: uncaught errors (``pageerror``) and console messages."""

    errors: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    checked: int = 0

    def assert_no_page_errors(self) -> None:
        self.checked = len(self.errors)
        assert self.errors == [], f"errors escaped into the page: {self.errors}"

    def csp_messages(self) -> list[str]:
        return [text for _, text in self.console if "Content Security Policy" in text
                or "Content-Security-Policy" in text or "Trusted Type" in text]


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def _servers_idle_after_test(_clean_database, live_server):
    """Set up after (so torn down before) the database clean-up: wait until the live server has
    finished whatever the closed browser left in flight."""
    yield
    assert live_server.wsgi.wait_idle(10), "the live server was still busy 10 s after the test"


def _new_context(browser, **options):
    context = browser.new_context(**{"locale": "en-US", "viewport": {"width": 1280, "height": 800}, **options})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.add_init_script(INIT_SCRIPT)
    return context


def _watched_page(context, browser_log):
    page = context.new_page()
    page.on("pageerror", lambda error: browser_log.errors.append(f"{error.name}: {error.message}"))
    page.on("console", lambda message: browser_log.console.append((message.type, message.text)))
    return page


def _fail_on_late_errors(browser_log):
    late = browser_log.errors[browser_log.checked:]
    if late:
        pytest.fail(f"errors escaped into the page: {late}", pytrace=False)


@pytest.fixture
def context(browser, _servers_idle_after_test):
    context = _new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context, browser_log):
    yield _watched_page(context, browser_log)
    _fail_on_late_errors(browser_log)


@pytest.fixture
def page_for(browser, browser_log, _servers_idle_after_test):
    """``page_for(locale="de-DE", ...)``: a page like ``page`` in a context with other options."""
    contexts = []

    def open_page(**options):
        contexts.append(_new_context(browser, **options))
        return _watched_page(contexts[-1], browser_log)

    yield open_page
    for context in contexts:
        context.close()
    _fail_on_late_errors(browser_log)


# ---- touchpoints ------------------------------------------------------------------------------

@pytest.fixture
def widget_touchpoint(make_touchpoint, org, host_pages):
    """A touchpoint embedded on the host pages' origin, opening at once on load."""

    def make(metric: str = "nps", trigger: dict | None = None, survey: dict | None = None,
             **kwargs) -> tuple[int, str]:
        return make_touchpoint(org, name=kwargs.pop("name", f"Widget {metric}"),
                               allowed_origins=[host_pages.origin], survey={"metric": metric, **(survey or {})},
                               trigger=trigger or {"mode": "load", "delay_seconds": 0}, **kwargs)

    return make
