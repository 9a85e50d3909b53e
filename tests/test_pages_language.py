"""Pages for a Japanese reader and an English reader, over HTTP against a live server: amounts,
units, era dates and names in the reader's language, localised error pages in the site's frame,
Vary: Accept-Language wherever the language is negotiated, one count for the default graph,
and the spreadsheet download."""

from __future__ import annotations

import io
import re

import pytest
import requests

from zaisei.rdf.namespaces import PREFIXES, iri
from zaisei.serving.web import labels, writing

pytestmark = pytest.mark.slow

EN = {"lang": "en"}


def _main(answer) -> str:
    """The visible text of a page's <main>, tags removed."""
    main = answer.text.split("<main>", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'")


# -- the written forms, unit by unit (no server) -------------------------------------------

@pytest.mark.parametrize("yen, written", [
    (16_241_000_000, "¥16.24 billion"), (562_138_000, "¥562.1 million"), (135_000_000_000, "¥135 billion"),
    (999_960_000, "¥1 billion"), (812_000, "¥812,000"), (10, "¥10"), (-313_300_000, "−¥313.3 million"),
    (1_234_567_890_123, "¥1.235 trillion")])
def test_english_amounts(yen, written):
    assert writing.english_yen(yen) == written
    assert writing.yen(str(yen), "en")[1] == ("−" if yen < 0 else "") + f"¥{abs(yen):,}"


@pytest.mark.parametrize("value, unit, ja, en", [
    ("1", "年間", "1年間", "1 year"), ("1.5", "日分", "1.5日分", "1.5 days' supply"), ("10", "円", "10円", "¥10"),
    ("6", "円/kg", "6円/kg", "¥6/kg"), ("7", "か所目", "7か所目", "7th"), ("5400", "m2", "5,400m²", "5,400 m²"),
    ("-7400000000", "円", "△74億円", "−¥7.4 billion"), ("30.4", "%", "30.4％", "30.4%"), ("24", "時間", "24時間", "24 hours")])
def test_values_with_units(value, unit, ja, en):
    assert writing.measure(value, unit, "ja") == ja
    assert writing.measure(value, unit, "en") == en


def test_era_in_the_citys_notation():
    assert writing.fiscal_year("2021", "ja") == "令和３年度" and writing.fiscal_year("2021", "en") == "FY2021"
    assert writing.fiscal_year("2019", "ja") == "令和元年度" and writing.fiscal_year("2028", "ja") == "令和10年度"
    assert writing.date("2021-04-01", "ja") == "令和３年４月１日（2021年4月1日）"
    assert writing.date("2021-04-01", "en") == "1 April 2021"
    assert writing.month("2022-04", "ja") == "令和４年４月（2022年4月）"


def test_every_property_and_class_has_a_name_in_both_languages(published):
    """What a page shows as a property's or a class's name comes from the ontology (zs:) or
    from labels.py: never a bare local name such as "prefLabel" or "Catalog"."""
    from zaisei.serving.published import Publication

    publication = Publication(published)
    terms = {r["t"].value for r in publication.select(
        "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t } }")}
    names = publication.labels(terms)
    missing = [(term, lang) for term in sorted(terms) for lang in ("ja", "en")
               if not (names.get(term, {}).get(lang) or labels.known(term, lang))]
    assert missing == []


# -- pages over HTTP ------------------------------------------------------------------------

def test_english_pages_write_amounts_and_units_for_english_readers(server):
    pillar = _main(requests.get(server.url + "/doc/minato-2021/figure/priority/pillar-2", params=EN))
    assert "¥5.621 billion" in pillar and "¥5,621,380,000" in pillar and "億" not in pillar.split("Source (")[0]
    rice = _main(requests.get(server.url + "/doc/minato-2021/indicator/rice-procured", params=EN))
    assert "1.5 days' supply" in rice and "日分" not in rice.split("Source")[0].split("unit")[0]
    fee = _main(requests.get(server.url + "/doc/minato-2021/indicator/convenience-store-fee", params=EN))
    assert "¥10" in fee and "10円" not in fee.split("Source")[0]
    landing = _main(requests.get(server.url + "/", params=EN))
    assert "FY2021" in landing and "¥162.4 billion" in landing and "億" not in landing


def test_japanese_pages_use_the_era_and_japanese_names(server):
    landing = _main(requests.get(server.url + "/", params={"lang": "ja"}))
    assert "令和３年度" in landing and "令和２年度" in landing and "FY20" not in landing
    catalog = _main(requests.get(server.url + "/doc/catalog", params={"lang": "ja"}))
    assert "カタログ" in catalog and "データセット" in catalog and "公表日" in catalog
    for english in ("Catalog", "dataset", "themeTaxonomy", "issued", "homepage"):
        assert f" {english} " not in catalog, english
    assert re.search(r"令和\S+年\S+月\S+日（20\d\d年\d+月\d+日）", catalog)   # dates in the era
    change = _main(requests.get(server.url + "/doc/minato-2021/change/general", params={"lang": "ja"}))
    assert "Entity" not in change and "実体（来歴）" in change


def test_source_panels_and_what_links_here_read_naturally(server):
    pillar = _main(requests.get(server.url + "/doc/minato-2021/priority/pillar-2", params={"lang": "ja"}))
    assert "（名称の出典）" in pillar and "(prefLabel)" not in pillar
    # The initiatives point at the pillar with skos:broader: here they are its 下位 (narrower).
    incoming = pillar.split("このリソースを参照しているもの")[1]
    assert "下位 区民生活の負担を軽減し区民を支援する取組" in incoming and " 上位 " not in incoming
    english = _main(requests.get(server.url + "/doc/minato-2021/figure/priority/pillar-2", params=EN))
    assert "(source of the amount)" in english


def test_text_in_several_languages_is_shown_in_the_readers(server):
    ja = _main(requests.get(server.url + "/doc/catalog", params={"lang": "ja"}))
    en = _main(requests.get(server.url + "/doc/catalog", params=EN))
    assert "Figures of Japanese municipal budget documents" not in ja and "日本の自治体" in ja
    assert "Figures of Japanese municipal budget documents" in en and "日本の自治体" not in en


def test_the_source_view_is_titled_with_the_document(server):
    page = requests.get(server.url + "/source/minato-2021", params={"lang": "ja"})
    assert "<h1>原文: 令和３年度予算のポイント</h1>" in page.text and "minato-2021</h1>" not in page.text
    assert "港区 令和３年度予算のポイント</a> › 原文" in page.text


def test_the_vocabulary_page_has_the_sites_frame_and_named_parents(server):
    ja = requests.get(server.url + "/def/", headers={"Accept": "text/html", "Accept-Language": "ja"})
    assert ja.status_code == 200 and '<header class="site">' in ja.text and "Accept-Language" in ja.headers["Vary"]
    assert '<a href="#BudgetFigure">予算額</a> <code>zs:BudgetFigure</code>' in ja.text
    assert '<code>skos:Concept</code>' in ja.text and "<code>http://www.w3.org/2004/02/skos/core#Concept" not in ja.text
    en = requests.get(server.url + "/def/", params=EN, headers={"Accept": "text/html"})
    assert "Datatype properties" in en.text and "<h2" in en.text and '<html lang="en">' in en.text
    term = requests.get(server.url + "/def/amount", params=EN, headers={"Accept": "text/html"}, allow_redirects=False)
    assert term.status_code == 303 and term.headers["Location"] == "/def/?lang=en#amount"


def test_the_404_page_is_in_the_readers_language_inside_the_site(server):
    ja = requests.get(server.url + "/no/such/page", headers={"Accept": "text/html", "Accept-Language": "ja"})
    assert ja.status_code == 404 and '<header class="site">' in ja.text and '<html lang="ja">' in ja.text
    assert "ページが見つかりません" in ja.text and "Not Found" not in ja.text
    assert "Accept-Language" in ja.headers["Vary"]
    en = requests.get(server.url + "/doc/minato-2021/nothing", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert en.status_code == 404 and "Not Found" in en.text and "No resource /id/minato-2021/nothing" in en.text
    assert '<a href="/?lang=en">To the home page</a>' in en.text
    data = requests.get(server.url + "/no/such/page", headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.json()["error"] == "Not Found"


@pytest.mark.parametrize("path", ["/", "/download/", "/source/minato-2021", "/datasets/minato-2021", "/def/",
                                  "/doc/minato-2021/priority/pillar-2", "/sparql", "/no/such/page"])
def test_vary_accept_language_where_the_language_is_negotiated(server, path):
    headers = {"Accept": "text/html", "Accept-Language": "en"}
    negotiated = requests.get(server.url + path, headers=headers)
    assert '<html lang="en">' in negotiated.text
    assert "Accept-Language" in negotiated.headers["Vary"], negotiated.headers.get("Vary")
    japanese = requests.get(server.url + path, headers={"Accept": "text/html", "Accept-Language": "ja"})
    assert '<html lang="ja">' in japanese.text


def test_a_language_named_in_the_url_does_not_vary(server):
    fixed = requests.get(server.url + "/download/", params=EN, headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in fixed.text and "Accept-Language" not in fixed.headers.get("Vary", "")


def test_protocol_parameters_and_robots(server):
    """Done with issue 13's work, checked here as issue 19 asked: 400 for graph parameters that
    are no IRI, and an absolute sitemap URL."""
    for name in ("default-graph-uri", "named-graph-uri"):
        answer = requests.get(server.url + "/sparql", params={"query": "ASK {}", name: "turtle"})
        assert answer.status_code == 400, name
    sitemap = re.search(r"^Sitemap: (\S+)$", requests.get(server.url + "/robots.txt").text, re.M)
    assert sitemap and sitemap[1].startswith("http://") and sitemap[1].endswith("/sitemap.xml")


def test_the_default_graph_counts_each_triple_once(server):
    """COUNT(*) over the default graph equals the service description's void:triples, and the
    named graphs still hold what they are named for."""
    def count(query: str) -> int:
        answer = requests.get(server.url + "/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        return int(answer.text.splitlines()[1])

    described = requests.get(server.url + "/sparql", headers={"Accept": "application/n-triples"}).text
    default = re.search(r"#default-graph> <" + re.escape(PREFIXES["void"]) + r'triples> "(\d+)"', described)
    assert default and count("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == int(default[1])
    assert count("SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }") == int(default[1])
    ontology, amount = "https://w3id.org/zaisei/def", iri("zs:amount")
    assert count(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ontology}> {{ <{amount}> ?p ?o }} }}") >= 6
    measure = iri("qb:MeasureProperty")
    assert count(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ontology}> {{ <{amount}> a <{measure}> }} }}") == 1


def test_a_spreadsheet_per_dataset_that_excel_reads(server, published):
    openpyxl = pytest.importorskip("openpyxl")
    listing = requests.get(server.url + "/download/", params={"lang": "ja"}).text
    assert "minato-2021/figures.xlsx" in listing and "Excel で開けます" in listing
    answer = requests.get(server.url + "/download/minato-2021/figures.xlsx")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content))["figures"]
    header = [cell.value for cell in sheet[1]]
    csv_lines = (published / "minato-2021" / "figures.csv").read_text(encoding="utf-8").splitlines()
    assert header == csv_lines[0].split(",") and sheet.max_row == len(csv_lines)
    rows = [dict(zip(header, (cell.value for cell in row))) for row in sheet.iter_rows(min_row=2)]
    general = next(r for r in rows if r["key"] == "general-2021")
    assert general["amount_yen"] == 162_410_000_000 and general["label_ja"] == "一般会計 令和３年度予算額"
    assert sheet["I2"].number_format == "#,##0"
    catalog = requests.get(server.url + "/catalog", headers={"Accept": "text/turtle"}).text
    assert "/download/minato-2021/figures.xlsx" in catalog and "file-type/XLSX" in catalog


def test_the_readmes_sparql_example_works_on_any_port(server):
    """The README's curl line, sent to this server (a free port, not 8080)."""
    from support.paths import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    query = re.search(r"--data-urlencode 'query=(.*?)' \\", readme, re.S)[1]
    assert ":8080" not in query and server.port != 8080
    answer = requests.post(server.url + "/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert answer.text.splitlines() == ["total", "208391749000"]


def test_a_busy_port_is_one_line_and_exit_2():
    """Done with issue 13's work, checked here as issue 19 asked: no "serving at ..." and no traceback."""
    import socket

    from support.paths import run_cli

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        result = run_cli("serve", "--port", str(holder.getsockname()[1]))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Address already in use" in result.stderr
