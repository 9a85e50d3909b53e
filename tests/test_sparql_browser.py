"""The query page in a real headless Chromium: YASGUI starts under the page's CSP, an example
runs against our endpoint, no console error, and no request leaves the server's origin."""

from __future__ import annotations

import pytest

from support.paths import ROOT, need_tool
from support.outputs import minato_output
from support.servers import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page_and_server():
    chromium = need_tool("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    live = LiveServer(minato_output())
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield browser.new_page(locale="ja-JP"), live
        browser.close()
    live.close()


def test_yasgui_runs_an_example(page_and_server):
    page, live = page_and_server
    problems, elsewhere = [], []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(live.url) else elsewhere.append(request.url))
    page.goto(live.url + "/sparql")
    page.wait_for_selector(".CodeMirror", timeout=15000)
    assert page.locator("#sparql-form").is_hidden() and page.locator("#yasgui").is_visible()
    page.click("button.example >> nth=0")
    page.wait_for_selector(".yasr table.dataTable td", timeout=15000)
    assert "208,391,749,000" in page.inner_text(".yasr")   # xsd:decimal shown as a number
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "sparql.png"), full_page=True)
    assert problems == [] and elsewhere == []
