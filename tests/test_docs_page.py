"""/docs renders in a headless Chromium with every request outside 127.0.0.1 refused:
Swagger UI's assets come from the package, not a CDN."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import FakeEmbedder, serve
from .test_web import CHROMIUM, FLAGS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base(fake_settings):
    from councilqa.api import create_app

    yield from serve(create_app(fake_settings, FakeEmbedder()))


def test_docs_render_offline(base):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    refused: list[str] = []

    def offline(route):
        if route.request.url.startswith(base):
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.route("**/*", offline)
        page.goto(base + "/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        title = page.locator(".swagger-ui .info .title").inner_text()
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        browser.close()
    assert title.startswith("councilqa")
    assert {"/search", "/ask", "/health", "/documents/{source}/text"} <= set(operations)
    assert refused == []
