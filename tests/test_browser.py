"""A real headless Chromium loads the pages: expected text, no console errors, screenshots."""

from __future__ import annotations


import pytest

from support.paths import ROOT, need_tool

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"
# Flags for a closed network: no background connections Chromium would try and fail.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    chromium = need_tool("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield instance
        instance.close()


def _visit(browser, url: str, shot: str):
    page = browser.new_page(locale="ja-JP")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    return page, problems


def test_landing_page_in_a_browser(browser, server):
    page, problems = _visit(browser, server.url + "/", "landing.png")
    assert "港区 令和３年度予算のポイント" in page.inner_text("main")
    assert page.locator("svg").count() >= 2
    assert problems == []
    assert (ARTIFACTS / "landing.png").stat().st_size > 10_000


def test_figure_page_in_a_browser(browser, server):
    page, problems = _visit(browser, server.url + "/doc/minato-2021/figure/priority/pillar-2", "figure.png")
    text = page.inner_text("main")
    assert "56億2,138万円" in text and "5,621,380,000円" in text
    assert problems == []
    page.click("text=行 481")
    assert page.url.endswith("#L481")
    assert "56 億 2,138 万円" in page.inner_text("#L481")
