"""Budgets side by side, over HTTP: the landing page indexes every municipality and fiscal year
published, its chart compares the general accounts through the national account kinds (the
figures the gallery's query answers), and each municipality's page lists its datasets."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

from zaisei.serving.web import writing
from zaisei.serving.published import Publication
from zaisei.serving.examples import examples

pytestmark = pytest.mark.slow

BUDGETS = """PREFIX zs: <https://w3id.org/zaisei/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
SELECT ?key ?organization ?name ?fy WHERE {
  ?budget a zs:Budget ; dcterms:identifier ?key ; obeu-dimension:organization ?organization ; zs:fiscalYear ?fy .
  ?organization <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(LANG(?name) = "en")
}"""


def _main(answer) -> str:
    main = answer.text.split("<main>", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'")


@pytest.fixture(scope="module")
def budgets(published):
    return Publication(published).select(BUDGETS)


def test_the_landing_page_indexes_every_municipality_and_year(server, budgets):
    page = requests.get(server.url + "/", params={"lang": "en"})
    index = page.text.split('<section class="index">')[1].split("</section>")[0]
    for row in budgets:
        assert f'href="/datasets/{row["key"].value}?lang=en"' in index, row["key"]
        assert row["name"].value in index
        assert writing.fiscal_year(row["fy"].value.rsplit("/", 1)[1], "en") in index
    organizations = {row["organization"].value for row in budgets}
    assert index.count('<tr><th scope="row">') == len(organizations)


def test_the_comparison_chart_shows_the_general_account_the_gallery_query_finds(server, published):
    """The chart and the gallery's query 11 agree: each municipality's general account, for each
    of the two latest fiscal years, a year's own budget preferred to a later restatement."""
    example = next(e for e in examples() if e.name.startswith("11-"))
    publication = Publication(published)
    rows = publication.select(example.query)
    own_year = {r["budget"].value: r["fy"].value.rsplit("/", 1)[1] for r in publication.select(
        "SELECT ?budget ?fy { ?budget <https://w3id.org/zaisei/def/fiscalYear> ?fy }")}
    assert rows
    expected: dict[tuple[str, str], Decimal] = {}
    for row in sorted(rows, key=lambda r: r["budget"].value):
        year = row["fiscal_year"].value.removeprefix("FY")
        own = own_year[row["budget"].value] == year
        if own or (row["municipality"].value, year) not in expected:
            expected[(row["municipality"].value, year)] = Decimal(row["amount"].value)
    latest = sorted({year for _, year in expected}, reverse=True)[:2]
    chart = _main(requests.get(server.url + "/", params={"lang": "ja"})).split("一般会計の比較")[1]
    chart = chart.split("各自治体の")[0]
    for (municipality, year), amount in expected.items():
        if year in latest:
            written, _ = writing.yen(str(int(amount)), "ja")
            assert municipality in chart and f"{writing.fiscal_year(year, 'ja')} {written}" in chart, (municipality, year)


def test_each_municipality_has_a_page_listing_its_datasets(server, budgets):
    by_organization: dict[str, set[str]] = {}
    for row in budgets:
        by_organization.setdefault(row["organization"].value, set()).add(row["key"].value)
    for organization, keys in by_organization.items():
        path = "/doc/" + organization.split("/id/", 1)[1]
        page = requests.get(server.url + path, params={"lang": "en"})
        assert page.status_code == 200
        section = page.text.split('<section class="municipality">')[1].split("</section>")[0]
        assert {k for k in keys if f'/datasets/{k}?lang=en' in section} == keys
        assert "General account" in section


def test_a_thing_that_publishes_no_budget_has_no_budget_section(server):
    page = requests.get(server.url + "/doc/minato-2021/account/general", params={"lang": "en"})
    assert page.status_code == 200 and 'class="municipality"' not in page.text


def test_the_comparison_chart_has_every_fy2021_general_account_of_the_gallery(server, published):
    """Query 12 finds FY2021's general account in an account table or, for a city that states
    it only by 款, as the revenue or expenditure total: the chart shows each of them."""
    example = next(e for e in examples() if e.name.startswith("12-"))
    rows = Publication(published).select(example.query)
    chart = _main(requests.get(server.url + "/", params={"lang": "ja"})).split("一般会計の比較")[1].split("各自治体の")[0]
    assert len({r["municipality"].value for r in rows}) >= 3
    for row in rows:
        written, _ = writing.yen(str(int(Decimal(row["amount"].value))), "ja")
        assert row["municipality"].value in chart and f"令和３年度 {written}" in chart, row["municipality"].value

