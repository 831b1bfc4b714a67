"""Django admin in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser
is ever downloaded) against pytest-django's live server.

One Chromium for the whole package; each test gets a fresh context (cookies, storage) and a page
whose steps are saved as screenshots in test-artifacts/browser/<test>/NN-<step>.png, plus a
final one when the test fails."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import ARTIFACTS

CHROMIUM = os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # The page fixture reads this at teardown to decide whether to save a failure screenshot.
    setattr(item, f"browser_report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def chromium(celery_worker):
    """One Chromium for the package.

    Playwright's sync API keeps an asyncio loop registered as running in this thread while it is
    started, so Django would refuse every ORM call here (the tests' own, pytest-django's flush)
    as "async-unsafe". No coroutine ever runs while the test's code does, so the calls are safe:
    DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly the life of Playwright, which is why the browser
    lives for this package and not the session (the rest of the suite keeps Django's check).
    The worker starts first so its environment does not inherit the variable."""
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if before is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = before


class Screenshots:
    """`shot("login")` saves NN-login.png, numbered in the order the test takes them."""

    def __init__(self, page: Page, directory: Path):
        self.page = page
        self.directory = directory
        self.count = 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def page(chromium, live_server, request):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    directory = ARTIFACTS / "browser" / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    browser_page.shot = Screenshots(browser_page, directory)
    yield browser_page
    failed = any(
        getattr(request.node, f"browser_report_{when}", None) is not None
        and getattr(request.node, f"browser_report_{when}").failed
        for when in ("setup", "call")
    )
    if failed:
        browser_page.shot("failure")
    context.close()


STAFF_EMAIL = "revisora@example.com"
STAFF_PASSWORD = "Clave-Segura-2024"


@pytest.fixture
def staff(django_user_model):
    """A staff account (what `manage.py createadmin` makes); it logs in through the form."""
    return django_user_model.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)


@pytest.fixture
def http(live_server):
    """The frontend's side: plain HTTP against the same live server."""
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client
