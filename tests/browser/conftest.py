"""Browser tests: careflow served on 127.0.0.1 in a thread, driven by Debian's Chromium via Playwright."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import ROOT, make_web_app

CHROMIUM = os.environ.get("CAREFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "tests" / "output" / "screenshots"


def ensure_assets() -> None:
    """The compiled GOV.UK CSS and the bpmn-js bundle (``make install`` builds them; so does this)."""
    if (ROOT / "app" / "static" / "dist" / ".built").is_file():
        return
    if not shutil.which("npm"):
        pytest.skip("front-end assets are not built and npm is not installed")
    if not (ROOT / "node_modules" / ".installed").is_file():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
        (ROOT / "node_modules" / ".installed").touch()
    subprocess.run(["node", "scripts/build-assets.mjs"], cwd=ROOT, check=True)


@contextmanager
def serving(app: Any) -> Iterator[dict[str, Any]]:
    """An app served on a free port of 127.0.0.1 in a thread; yields its base URL and services."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app, "services": app.extensions["careflow"]}
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["careflow"].db.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on a free port with its own database; yields its base URL and services."""
    ensure_assets()
    # Secure cookies on purpose: Chromium accepts them from http://127.0.0.1, as from any local origin.
    with serving(make_web_app(tmp_path_factory.mktemp("live"), SESSION_COOKIE_SECURE=True)) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def opened_tab(browser: Any, url: str) -> Iterator[Any]:
    """A fresh browser context on the server at ``url``; any JavaScript error on its pages fails the test."""
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Any, live_server: dict[str, Any]) -> Iterator[Any]:
    with opened_tab(browser, live_server["url"]) as tab:
        yield tab


def sign_in(page: Any, username: str, password: str = "careflow-demo") -> None:
    page.goto("/sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def check_accessibility(page: Any, name: str) -> None:
    """No axe-core violations at any impact (WCAG 2.2 A and AA, best practices), and a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    # Every rule axe-core has: WCAG 2.2 A and AA and its best practices (landmarks, "region", ...).
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    violations = results.response.get("violations", [])
    described = [f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(
        str(n.get("target")) for n in v.get("nodes", [])[:3]) for v in violations]
    assert not violations, f"{name}: " + "\n".join(described)
