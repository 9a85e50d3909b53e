"""Every page template in a real headless Chromium, at 1280 px (a laptop) and 390 px (a phone),
in Japanese and in English: no text smaller than 10 CSS px, nothing wider than the screen, the
page in the reader's language, and a full-page screenshot of each kept under
test-artifacts/screenshots/ (for people to look at; CI keeps the folder as the run's artefact)."""

from __future__ import annotations

import pytest

from support.paths import ROOT, need_tool

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = ROOT / "test-artifacts" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
WIDTHS = (1280, 390)
# One page per template (resource.html in four kinds of thing); name -> path.
PAGES = {
    "landing": "/", "dataset": "/datasets/minato-2021", "pillar": "/doc/minato-2021/priority/pillar-2",
    "figure": "/doc/minato-2021/figure/priority/pillar-2", "comparison": "/doc/minato-2021/change/general",
    "catalog": "/doc/catalog", "source": "/source/minato-2021", "sparql": "/sparql", "downloads": "/download/",
    "vocabulary": "/def/", "404": "/no/such/page", "municipality": "/doc/organization/131032",
}
# Text elements smaller than this, however many: none.
SMALL_TEXT = """() => {
  const small = [];
  for (const element of document.querySelectorAll('body *')) {
    const own = [...element.childNodes].some(n => n.nodeType === 3 && n.nodeValue.trim());
    if (!own || !element.getClientRects().length) continue;
    const style = getComputedStyle(element);
    if (style.visibility !== 'visible' || style.display === 'none' || element.closest('[hidden], option')) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    let size = parseFloat(style.fontSize);
    if (element instanceof SVGElement && element.getScreenCTM()) size *= element.getScreenCTM().a;
    if (size < 10) small.push(`${element.tagName.toLowerCase()}.${element.className} ${size.toFixed(1)}px: `
                              + element.textContent.trim().slice(0, 40));
  }
  return small;
}"""
# Elements reaching past the right edge of the screen, outside any box that scrolls them.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, wide = [];
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX; if (x === 'auto' || x === 'scroll' || x === 'hidden') return true; }
    return false; };
  for (const element of document.querySelectorAll('body *')) {
    const box = element.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(element))
      wide.push(`${element.tagName.toLowerCase()}.${element.className}: right ${Math.round(box.right)} > ${width}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""
# The page's own text: not what is marked as in another language (the city's quotes, a title's
# translation), nor the data a query returned or a query's text, nor the ontology's comments (which
# quote the city's words: "Figures written in 万円 or 千円 are converted to yen").
OWN_TEXT = """lang => {
  const main = document.querySelector('main').cloneNode(true);
  main.querySelectorAll(`[lang]:not([lang="${lang}"]), .yasr, #yasgui, pre, details, .term > p`).forEach(e => e.remove());
  return main.textContent;
}"""


@pytest.fixture(scope="module")
def browser():
    chromium = need_tool("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield instance
        instance.close()


def _open(browser, server, name: str, lang: str, width: int):
    """The page as a reader of lang sees it, settled (the query page with an example's results)."""
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  locale="ja-JP" if lang == "ja" else "en-GB")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server.url + PAGES[name])
    if name == "sparql":
        page.wait_for_selector(".CodeMirror")
        page.click("button.example >> nth=1")
        page.wait_for_selector(".yasr table.dataTable td", timeout=15000)
    page.wait_for_timeout(150)
    return context, page, problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_reads_well_at_every_width(browser, server, name, lang, width):
    context, page, problems = _open(browser, server, name, lang, width)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"{name}-{lang}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 5_000
        assert page.evaluate(SMALL_TEXT) == []
        layout = page.evaluate(OVERFLOW)
        assert layout["scrollWidth"] <= layout["width"] and layout["wide"] == [], layout
        assert page.evaluate("document.documentElement.lang") == lang
        # The site's navigation: every link on one line (語彙 is never broken in two).
        assert page.evaluate("[...document.querySelectorAll('header.site a')]"
                             ".every(a => a.getClientRects().length === 1)")
        text = page.evaluate(OWN_TEXT, lang)
        if lang == "en":
            assert "億" not in text and "万円" not in text and "年度" not in text, name
        else:
            assert "FY20" not in text and "billion" not in text, name
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_chart_labels_are_whole_and_readable(browser, server, width):
    for lang, name in (("ja", "dataset"), ("en", "dataset"), ("ja", "landing"), ("en", "landing")):
        context, page, _ = _open(browser, server, name, lang, width)
        try:
            names = page.evaluate("[...document.querySelectorAll('.chart .name')].map(e => "
                                  "[e.textContent, e.scrollWidth <= e.clientWidth + 1, e.title])")
            assert len(names) > (20 if name == "dataset" else 0)
            assert all(not text.endswith("…") and whole for text, whole, _ in names), names
            bars = page.evaluate("[...document.querySelectorAll('.chart svg.bar')].map(s => s.getBoundingClientRect().width)")
            assert bars and min(bars) > 40   # each track keeps a readable width, also on a phone
        finally:
            context.close()


def test_a_source_line_is_shown_below_the_top_edge(browser, server):
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="ja-JP")
        page = context.new_page()
        try:
            page.goto(server.url + "/source/minato-2021#L481")
            page.wait_for_timeout(150)
            top = page.evaluate("document.getElementById('L481').getBoundingClientRect().top")
            assert 800 * 0.2 < top < 800 * 0.8
            assert "56 億 2,138 万円" in page.inner_text("#L481")
        finally:
            context.close()


def test_query_page_is_japanese_and_shows_numbers(browser, server):
    context, page, problems = _open(browser, server, "sparql", "ja", 1280)
    try:
        assert "SELECT" in page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
        interface = page.inner_text("#yasgui")
        assert "表" in interface and "件" in interface and "Simple view" not in interface and "Table" not in interface
        table = page.inner_text(".yasr table.dataTable")
        assert "162,410,000,000" in table and "^^" not in table and "xsd:decimal" not in table
        # Row numbers stand apart from the first value.
        first = page.evaluate("[...document.querySelectorAll('.yasr table.dataTable tbody tr:first-child td')]"
                              ".slice(0, 2).map(td => [td.getBoundingClientRect().right, "
                              "td.querySelector('a, span, div div').getBoundingClientRect().left])")
        assert first[1][1] - first[0][0] >= 4
        headers = page.evaluate("[...document.querySelectorAll('.yasr table.dataTable thead th')]"
                                ".map(th => th.getBoundingClientRect()).map(r => [r.left, r.right])")
        assert all(a[1] <= b[0] + 1 for a, b in zip(headers, headers[1:]))   # headers side by side
        assert problems == []
    finally:
        context.close()
