"""The Linked Data site, tested over HTTP against a live server on loopback."""

from __future__ import annotations

import gzip
import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import rdflib
import requests

from zaisei.publication.project import Project

from zaisei.rdf.store import GraphStore

pytestmark = pytest.mark.slow

FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt",
           "application/rdf+xml": "xml"}

BASE = Project().base   # the publication's (publication.toml): not this server's address
# Every source folder is published (none is held back): Minato's quoted dataset and the cited ones.
PUBLISHED = sorted(p.name for p in Project().sources.iterdir() if (p / "dataset.toml").is_file())


@pytest.fixture(scope="module")
def things(published):
    store = GraphStore()
    store.load_bytes(gzip.decompress((published / "all.nq.gz").read_bytes()), "nquads")
    for name in ("catalog.ttl", "void.ttl"):  # the DCAT and VoID IRIs dereference too
        store.load(published / name, "turtle")
    rows = store.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")
    base = BASE
    return sorted(r["s"].value[len(base):] for r in rows if r["s"].value.startswith(base + "/id/"))


def _dereference(url: str, path: str) -> list[str]:
    problems = []
    with requests.Session() as session:
        first = session.get(url + path, allow_redirects=False, headers={"Accept": "text/turtle"})
        if first.status_code != 303 or first.headers["Location"] != path.replace("/id/", "/doc/", 1):
            return [f"{path}: {first.status_code} {first.headers.get('Location')}"]
        iri = BASE + path   # the canonical IRI, named in every answer whatever server gives it
        for media, rdflib_format in FORMATS.items():
            answer = session.get(url + first.headers["Location"], headers={"Accept": media})
            if answer.status_code != 200 or answer.headers["Content-Type"].split(";")[0] != media:
                problems.append(f"{path} as {media}: {answer.status_code} {answer.headers.get('Content-Type')}")
                continue
            graph = rdflib.Graph().parse(data=answer.content, format=rdflib_format)
            if (rdflib.URIRef(iri), None, None) not in graph and (None, None, rdflib.URIRef(iri)) not in graph:
                problems.append(f"{path} as {media}: the thing is not described")
        page = session.get(url + first.headers["Location"], headers={"Accept": "text/html"})
        if page.status_code != 200 or "text/html" not in page.headers["Content-Type"]:
            problems.append(f"{path} as HTML: {page.status_code}")
    return problems


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_every_iri_dereferences_303_then_200_in_all_five_formats(server, things):
    assert len(things) > 500
    with ThreadPoolExecutor(4) as pool:
        problems = [p for result in pool.map(lambda p: _dereference(server.url, p), things) for p in result]
    assert problems == []


@pytest.mark.parametrize("accept, expected", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=0.4, application/ld+json;q=0.9", "application/ld+json"),
    ("application/rdf+xml;q=0.5, text/*;q=0.9", "text/html"),
    ("*/*", "text/html"),
    ("", "text/html"),
])
def test_content_negotiation(server, accept, expected):
    answer = requests.get(server.url + "/doc/minato-2021/priority/pillar-3", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == expected
    assert "Accept" in answer.headers["Vary"]
    suffix = {"text/html": ".html", "text/turtle": ".ttl", "application/ld+json": ".jsonld",
              "application/n-triples": ".nt", "application/rdf+xml": ".rdf"}[expected]
    assert answer.headers["Content-Location"] == "/doc/minato-2021/priority/pillar-3" + suffix


@pytest.mark.parametrize("suffix, media", [(".ttl", "text/turtle"), (".jsonld", "application/ld+json"),
                                           (".nt", "application/n-triples"), (".rdf", "application/rdf+xml"),
                                           (".html", "text/html")])
def test_suffix_wins_over_accept(server, suffix, media):
    answer = requests.get(server.url + "/doc/minato-2021/account/general" + suffix, headers={"Accept": "image/png"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == media


def test_nothing_acceptable_is_406_with_the_formats(server):
    answer = requests.get(server.url + "/doc/minato-2021/account/general", headers={"Accept": "image/png"})
    assert answer.status_code == 406
    assert "/doc/minato-2021/account/general.ttl" in answer.text


def test_link_headers_etag_and_conditional_requests(server):
    url = server.url + "/doc/minato-2021/account/general"
    turtle = requests.get(url, headers={"Accept": "text/turtle"})
    jsonld = requests.get(url, headers={"Accept": "application/ld+json"})
    links = turtle.headers["Link"]
    for suffix in (".html", ".jsonld", ".nt", ".rdf"):
        assert f"</doc/minato-2021/account/general{suffix}>; rel=\"alternate\"" in links
    assert 'rel="license"' in links and "creativecommons.org/licenses/by/4.0" in links
    assert turtle.headers["ETag"] and turtle.headers["ETag"] != jsonld.headers["ETag"]
    again = requests.get(url, headers={"Accept": "text/turtle", "If-None-Match": turtle.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    since = requests.get(url, headers={"Accept": "text/turtle", "If-Modified-Since": turtle.headers["Last-Modified"]})
    assert since.status_code == 304
    assert turtle.headers["Access-Control-Allow-Origin"] == "*"


def test_head_and_gzip(server):
    url = server.url + "/doc/minato-2021/budget"
    head = requests.head(url, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    zipped = requests.get(url, headers={"Accept": "text/turtle", "Accept-Encoding": "gzip"})
    assert zipped.headers.get("Content-Encoding") == "gzip"
    rdflib.Graph().parse(data=zipped.content, format="turtle")  # requests decompressed it


def test_html_has_security_headers(server):
    page = requests.get(server.url + "/")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_pages_write_amounts_as_the_city_does(server):
    page = requests.get(server.url + "/doc/minato-2021/figure/priority/pillar-2", headers={"Accept": "text/html"})
    assert "56億2,138万円" in page.text and "5,621,380,000円" in page.text
    assert "/source/minato-2021?lang=ja#L481" in page.text
    account = requests.get(server.url + "/doc/minato-2021/figure/account/nhi/2021?lang=ja").text
    assert "232億5,226万1千円" in account and "△3億1,330万円" in account  # FY2020 comparison and change


def test_english_pages(server):
    page = requests.get(server.url + "/doc/minato-2021/priority/pillar-3?lang=en")
    assert "Towards a city where every child grows up healthy" in page.text
    assert '<html lang="en">' in page.text
    negotiated = requests.get(server.url + "/doc/minato-2021/priority/pillar-3", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in negotiated.text


def test_source_view_has_line_anchors(server):
    page = requests.get(server.url + "/source/minato-2021")
    assert 'id="L481"' in page.text
    line = page.text.split('id="L481"')[1].split("</li>")[0]
    assert "56 億 2,138 万円" in line


def test_landing_page_explains_and_charts(server):
    page = requests.get(server.url + "/?lang=ja")
    assert page.text.count("<svg") >= 2 and "<script" not in page.text
    assert "港区 令和３年度予算のポイント" in page.text
    dataset = requests.get(server.url + "/datasets/minato-2021").text
    assert '"@type": "Dataset"' in dataset


def test_downloads_listed_with_checksums_and_media_types(server, published):
    listing = requests.get(server.url + "/download/").text
    for line in (published / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ")
        assert name in listing and digest in listing
    answer = requests.get(server.url + "/download/minato-2021/minato-2021.ttl")
    assert answer.headers["Content-Type"].startswith("text/turtle")
    assert hashlib.sha256(answer.content).hexdigest() in listing
    assert requests.get(server.url + "/download/minato-2021/figures.csv").headers["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("path", [
    "/download/../pyproject.toml", "/download/%2e%2e/pyproject.toml", "/download/%252e%252e%252fpyproject.toml",
    "/download//etc/passwd", "/download/minato-2021/%00.ttl", "/download/..%2fpyproject.toml",
    "/source/..%2f..%2fetc", "/download/%2e%2e%2f%2e%2e%2fetc%2fpasswd"])
def test_path_traversal_is_404(server, path):
    answer = requests.get(server.url + path)
    assert answer.status_code == 404
    assert "[project]" not in answer.text and "root:" not in answer.text


def test_unknown_paths_are_404_in_html_or_json(server):
    html = requests.get(server.url + "/no/such/thing", headers={"Accept": "text/html"})
    assert html.status_code == 404 and "text/html" in html.headers["Content-Type"]
    data = requests.get(server.url + "/id/minato-2021/account/nope", headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.json()["status"] == 404


def test_site_files(server):
    catalog = requests.get(server.url + "/catalog", headers={"Accept": "text/turtle"})
    assert catalog.status_code == 200
    rdflib.Graph().parse(data=catalog.content, format="turtle")
    assert requests.get(server.url + "/.well-known/void", headers={"Accept": "text/turtle"}).status_code == 200
    ontology = requests.get(server.url + "/def/", headers={"Accept": "text/turtle"})
    assert "owl:Ontology" in ontology.text or "Ontology" in ontology.text
    sitemap = requests.get(server.url + "/sitemap.xml").text
    assert "<urlset" in sitemap
    assert "Sitemap:" in requests.get(server.url + "/robots.txt").text
    assert len(PUBLISHED) >= 7 and requests.get(server.url + "/healthz").json()["datasets"] == PUBLISHED
    for key in PUBLISHED:  # every dataset: its page in the sitemap, its source page, its figures downloadable
        assert f"/datasets/{key}<" in sitemap or f"/datasets/{key}?" in sitemap, key
        assert requests.get(server.url + f"/source/{key}").status_code == 200, key
        assert requests.get(server.url + f"/download/{key}/figures.csv").status_code == 200, key


def test_a_cited_figure_shows_the_cell_it_was_transcribed_from(server):
    """Provenance is honest about its level: a cited figure shows the table cell (row, printed
    text, unit, cited page); a quoted one shows its quote at a line."""
    cited = requests.get(server.url + "/doc/chuo-2021/figure/account/general/2021?lang=en",
                         headers={"Accept": "text/html"}).text
    assert "Source (transcribed from a cited table)" in cited and "105,422,183" in cited
    assert "row 1" in cited and "千円" in cited and 'href="https://www.city.chuo.lg.jp/' in cited
    assert "Source (quoted from the document)" not in cited
    quoted = requests.get(server.url + "/doc/minato-2021/figure/account/general/2021?lang=en",
                          headers={"Accept": "text/html"}).text
    assert "Source (quoted from the document)" in quoted and "transcribed from a cited table" not in quoted
    source = requests.get(server.url + "/source/shinagawa-2021?lang=ja", headers={"Accept": "text/html"}).text
    assert "一般会計 歳入" in source and "千円" in source and "20210121100139.html" in source
    page = requests.get(server.url + "/datasets/shinagawa-2021?lang=en", headers={"Accept": "text/html"}).text
    assert "Source (cited tables)" in page
