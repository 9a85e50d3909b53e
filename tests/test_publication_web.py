"""The publication on the web: persistent IRIs whatever server answers them, catalogs that
find it (CKAN's Action API read by the real ckanapi client, the DCAT catalog paged with Hydra),
pages for browsers, downloads a CDN can cache (content ETags, the build's date, gzip)."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil

import ckanapi
import pytest
import rdflib
import requests

from support.paths import ROOT
from support.servers import Served
from zaisei.graph import iris
from zaisei.publication import manifest
from zaisei.publication.project import Project

BASE = Project().base
CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
LOOPBACK = re.compile(rb"127\.0\.0\.1|localhost|\[::1\]")


def _published_bytes(output) -> dict[str, bytes]:
    files = {}
    for file in sorted(p for p in output.rglob("*") if p.is_file()):
        data = file.read_bytes()
        files[file.relative_to(output).as_posix()] = gzip.decompress(data) if file.suffix == ".gz" else data
    return files


@pytest.mark.parametrize("where", ["committed", "built"])
def test_no_published_file_names_a_loopback_address(where, published):
    output = ROOT / "output" if where == "committed" else published
    found = {name: LOOPBACK.search(data).group().decode() for name, data in _published_bytes(output).items()
             if LOOPBACK.search(data)}
    assert found == {}


def test_the_base_is_the_persistent_namespace_of_the_ontology():
    assert BASE == "https://w3id.org/zaisei"
    assert iris.ONTOLOGY.startswith(BASE + "/def")


@pytest.mark.slow
def test_answers_name_canonical_iris_and_pages_link_to_this_server(server):
    """The server runs on a random port: RDF and SPARQL keep the IRIs; links for people stay here."""
    turtle = requests.get(server.url + "/doc/minato-2021/budget", headers={"Accept": "text/turtle"}).text
    assert f"<{BASE}/id/minato-2021/budget>" in turtle and server.url not in turtle
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/zaisei/def/Budget> } ORDER BY ?s"
    rows = requests.get(server.url + "/sparql", params={"query": query},
                        headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    assert f"{BASE}/id/minato-2021/budget" in [row["s"]["value"] for row in rows] and len(rows) >= 7
    for page in ("/doc/minato-2021/budget", "/", "/download/", "/catalog", "/sparql"):
        html = requests.get(server.url + page, headers={"Accept": CHROME}).text
        links = re.findall(r'(?:href|src|action)="([^"]*)"', html)
        assert links and not [link for link in links if link.startswith(BASE)], page
    sitemap = requests.get(server.url + "/sitemap.xml").text
    locations = re.findall(r"<loc>([^<]*)</loc>", sitemap)
    assert locations and all(loc.startswith(server.url + "/") for loc in locations)


@pytest.mark.slow
def test_a_browser_gets_pages_for_the_catalog_and_void(server):
    catalog = requests.get(server.url + "/catalog", headers={"Accept": CHROME})
    assert catalog.status_code == 200 and catalog.headers["Content-Type"].startswith("text/html")
    assert "Minato City FY2021 budget highlights" in catalog.text or "港区 令和３年度予算のポイント" in catalog.text
    assert 'href="/catalog.ttl"' in catalog.text   # the RDF one click away
    void = requests.get(server.url + "/.well-known/void", headers={"Accept": CHROME}, allow_redirects=False)
    assert void.status_code == 303 and void.headers["Location"] == "/doc/catalog/all"
    assert requests.get(server.url + "/catalog", headers={"Accept": "text/turtle"}).headers[
        "Content-Type"].startswith("text/turtle")
    footer = requests.get(server.url + "/", headers={"Accept": CHROME}).text.split("<footer")[1]
    assert 'href="/catalog' in footer and 'href="/.well-known/void' in footer


@pytest.mark.slow
def test_a_download_from_two_checkouts_has_one_etag_and_is_gzipped(published, tmp_path):
    """Two copies of the output with different file times: same validators, same gzip bytes."""
    copies = [shutil.copytree(published, tmp_path / name) for name in ("one", "two")]
    (copies[1] / "minato-2021" / "minato-2021.ttl").touch()
    digest = manifest.parse_sums((published / manifest.SUMS).read_text())["minato-2021/minato-2021.ttl"]
    answers = []
    for copy in copies:
        served = Served(copy)
        try:
            url = served.url + "/download/minato-2021/minato-2021.ttl"
            answers.append((requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True),
                            requests.get(url, headers={"Accept-Encoding": "identity"})))
            zipped = answers[-1][0]
            again = requests.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
            assert again.status_code == 304
        finally:
            served.stop()
    (zipped_1, plain_1), (zipped_2, plain_2) = answers
    body = zipped_1.raw.read()
    assert zipped_1.headers["Content-Encoding"] == "gzip" and hashlib.sha256(gzip.decompress(body)).hexdigest() == digest
    assert body == zipped_2.raw.read()
    assert zipped_1.headers["ETag"] == zipped_2.headers["ETag"] == f'"sha256-{digest}-gzip"'
    assert plain_1.headers["ETag"] == plain_2.headers["ETag"] == f'"sha256-{digest}"'
    assert "Content-Encoding" not in plain_1.headers and hashlib.sha256(plain_1.content).hexdigest() == digest
    assert zipped_1.headers["Last-Modified"] == zipped_2.headers["Last-Modified"] == plain_2.headers["Last-Modified"]
    assert "Accept-Encoding" in plain_1.headers["Vary"]


@pytest.mark.slow
def test_ckanapi_lists_shows_and_searches_the_datasets(server, published):
    ckan = ckanapi.RemoteCKAN(server.url)
    catalog = rdflib.Graph().parse(published / "catalog.ttl")
    datasets = sorted(str(row.name) for row in catalog.query(
        "SELECT ?name { ?c <http://www.w3.org/ns/dcat#dataset> ?d . ?d <http://purl.org/dc/terms/identifier> ?name }"))
    assert ckan.action.package_list() == datasets
    package = ckan.action.package_show(id="minato-2021")
    assert package["id"] == f"{BASE}/id/minato-2021" and package["organization"]["name"] == "zaisei"
    assert package["license_id"] == "cc-by" and package["title_ja"] == "港区 令和３年度予算のポイント"
    sums = manifest.parse_sums((published / manifest.SUMS).read_text())
    for resource in package["resources"]:
        name = resource["url"].removeprefix(BASE + "/download/")
        assert resource["hash"] == "sha256:" + sums[name] and resource["size"] == (published / name).stat().st_size
    assert package["num_resources"] == len(package["resources"]) >= 8
    found = ckan.action.package_search(q="港区")
    assert [p["name"] for p in found["results"]] == ["minato-2019", "minato-2021"] and found["count"] == 2
    assert [p["name"] for p in ckan.action.package_search(q="品川区")["results"]] == ["shinagawa-2021"]
    for key in (k for k in datasets if k != "all"):  # every budget dataset: its downloads and their checksums
        shown = ckan.action.package_show(id=key)
        assert shown["num_resources"] >= 8 and all(r["hash"].startswith("sha256:") for r in shown["resources"]), key
    assert ckan.action.package_search(fq="organization:zaisei")["count"] == len(datasets)
    window = ckan.action.package_search(rows=1, start=1)
    assert window["count"] == len(datasets) and [p["name"] for p in window["results"]] == datasets[1:2]
    assert ckan.action.package_search(q="no-such-word-anywhere")["count"] == 0
    assert [o["name"] for o in ckan.action.organization_list(all_fields=True)] == ["zaisei"]
    assert ckan.action.status_show()["api_version"] == 3
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")


@pytest.mark.slow
def test_a_big_catalog_is_paged_with_hydra(published):
    """One dataset per page: following hydra:next from page 1 finds every dataset once."""
    served = Served(published, "--catalog-page", "1")
    try:
        whole = rdflib.Graph().parse(published / "catalog.ttl")
        dataset = rdflib.URIRef("http://www.w3.org/ns/dcat#dataset")
        expected, seen, url = sorted(whole.objects(None, dataset)), [], served.url + "/catalog?page=1"
        hydra = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
        while url:
            page = rdflib.Graph().parse(data=requests.get(url, headers={"Accept": "text/turtle"}).text, format="turtle")
            shown = list(page.objects(None, dataset))
            assert len(shown) == 1
            seen += shown
            view = next(page.objects(None, hydra.view))
            assert (view, rdflib.RDF.type, hydra.PartialCollectionView) in page
            assert int(page.value(view, hydra.totalItems)) == len(expected)
            url = page.value(view, hydra.next)
            url = str(url) if url else None
        assert sorted(seen) == expected and len(expected) >= 2
    finally:
        served.stop()
