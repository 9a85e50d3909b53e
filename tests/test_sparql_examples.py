"""The example questions (src/zaisei/data/examples/*.rq): each answers right through the live
endpoint, the query page shows them all, and docs/sparql.md carries them as generated."""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal

import pytest
from markupsafe import escape

from support.outputs import minato_output
from support.paths import ROOT
from support.servers import LiveServer
from zaisei.serving.examples import DOC_END, DOC_START, examples, examples_markdown

EXAMPLES = {example.name: example for example in examples()}


@pytest.fixture(scope="module")
def minato_server():
    live = LiveServer(minato_output())
    yield live
    live.close()


def rows(minato_server, query: str) -> list[dict]:
    status, _, body = minato_server.request(path="/sparql?" + urllib.parse.urlencode({"query": query}),
                                     headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return [{name: value["value"] for name, value in row.items()} for row in json.loads(body)["results"]["bindings"]]


def answer(minato_server, name: str) -> list[dict]:
    return rows(minato_server, EXAMPLES[name].query)


def test_there_are_about_ten_examples_with_both_titles():
    assert 9 <= len(EXAMPLES) <= 14
    for example in EXAMPLES.values():
        assert example.title_ja != example.name and example.title_en != example.name
        assert "title_" not in example.query


def test_total_budget(minato_server):
    found = {r["budget"].rsplit("/id/", 1)[1]: r for r in answer(minato_server, "01-total-budget")}
    row = found["minato-2021/budget"]
    assert Decimal(row["stated_total"]) == Decimal(row["sum_of_accounts"]) == 208_391_749_000
    assert row["accounts"] == "4"
    # Every budget with a table of accounts adds up (Chuo's FY2021 budget-size table, say).
    assert all(Decimal(r["stated_total"]) == Decimal(r["sum_of_accounts"]) for r in found.values())
    assert Decimal(found["chuo-2021/budget"]["stated_total"]) == 130_274_317_000


def test_accounts_two_years(minato_server):
    every = answer(minato_server, "02-accounts-two-years")
    found = {r["label"]: r for r in every if "/minato-2021/" in r["account"]}
    assert len(found) == 5
    assert {r["account"].split("/id/")[1].split("/")[0] for r in every} == {"minato-2021", "chuo-2021", "shijonawate-2021"}
    general = found["一般会計"]
    assert (Decimal(general["fy2021"]), Decimal(general["fy2020"])) == (162_410_000_000, 145_440_000_000)
    assert Decimal(general["change"]) == 16_970_000_000 and Decimal(general["rate"]) == Decimal("11.7")
    assert Decimal(found["合計"]["fy2021"]) == 208_391_749_000 and Decimal(found["合計"]["fy2020"]) == 192_978_625_000
    assert Decimal(found["介護保険会計"]["change"]) == -1_258_099_000


def test_pillars_by_amount(minato_server):
    found = answer(minato_server, "03-pillars-by-amount")
    assert [r["number"] for r in found] == ["3", "2", "1", "4", "5"]
    assert Decimal(found[0]["amount"]) == 13_377_740_000
    assert [int(r["initiatives"]) for r in found] == [4, 7, 5, 5, 4]


def test_pillar_3_initiatives(minato_server):
    found = answer(minato_server, "04-pillar-3-initiatives")
    assert [Decimal(r["amount"]) for r in found] == [12_133_360_000, 817_700_000, 339_440_000, 87_250_000]
    assert found[0]["label_ja"] == "全ての子どもたちへの学びの保障"


def test_source_of_a_figure(minato_server):
    found = answer(minato_server, "05-figure-source")
    assert {r["line"] for r in found} == {"282"}
    assert any(r["exact"] == "2,083億9,174万９千円" for r in found)
    assert all(Decimal(r["amount"]) == 208_391_749_000 for r in found)


def test_facilities_opening_april_2022(minato_server):
    found = answer(minato_server, "06-facilities-april-2022")
    assert {r["label_ja"] for r in found} == {"札の辻スクエア（芝五丁目複合施設）", "港区立産業振興センター",
                                             "港区立三田図書館", "民間連携床", "芝浜小学校"}


def test_general_account_change(minato_server):
    found = {r["municipality"]: r for r in answer(minato_server, "07-general-account-change")}
    assert sorted(found) == ["中央区", "四條畷市", "港区"]
    row = found["港区"]
    assert Decimal(row["change"]) == 16_970_000_000 and Decimal(row["rate"]) == Decimal("11.7")
    assert all(Decimal(r["check"]) == 0 for r in found.values())
    # Chuo's general account shrank: △12,952,427 thousand yen, △10.9 % in its budget-size table.
    assert (Decimal(found["中央区"]["change"]), Decimal(found["中央区"]["rate"])) == (-12_952_427_000, Decimal("-10.9"))


def test_source_defect(minato_server):
    (row,) = answer(minato_server, "08-source-defect")
    assert row["exact"] == "〇億〇〇〇〇万円" and row["line"] == "604"
    assert row["affects"].endswith("/priority/pillar-3") and "682" in row["comment"]


def test_indicators_before_after(minato_server):
    found = {r["topic"]: (Decimal(r["before"]), Decimal(r["after"]))
             for r in answer(minato_server, "09-indicators-before-after")}
    assert len(found) == 7
    assert found["health-centre-staff"] == (20, 160) and found["childcare-reservation"] == (60, 105)


def test_largest_initiatives(minato_server):
    found = answer(minato_server, "10-largest-initiatives")
    assert [r["pillar_number"] for r in found] == ["3", "2", "1", "2", "4"]
    assert Decimal(found[0]["amount"]) == 12_133_360_000


def test_general_account_across_budgets(minato_server):
    found = [(r["municipality"], r["fiscal_year"], r["phase"], Decimal(r["amount"])) for r in
             answer(minato_server, "11-general-account-across-budgets")]
    minato = [row for row in found if row[0] == "港区"]
    assert minato == [("港区", "FY2018", "approved", 138_880_000_000), ("港区", "FY2019", "draft", 141_570_000_000),
                      ("港区", "FY2020", "approved", 145_440_000_000), ("港区", "FY2021", "draft", 162_410_000_000)]
    # Chuo's FY2020 general account, stated by two budgets (its own and FY2021's comparison), agrees.
    assert [row[3] for row in found if row[:2] == ("中央区", "FY2020")] == [118_374_610_000] * 2


def test_general_account_fy2021_per_municipality(minato_server):
    """Figures from the cited tables: Koto's expenditure total and Shinagawa's revenue total (千円
    tables) are each city's whole general account, and so is Nara's 予算額 (億円), the total of both
    its revenue and its expenditure; the others state it as an account."""
    found = [(r["municipality"], Decimal(r["amount"]), r["stated_as"]) for r in
             answer(minato_server, "12-general-account-fy2021-per-municipality")]
    assert [row[:2] for row in found] == [
        ("江東区", 217_129_000_000), ("品川区", 182_480_000_000), ("港区", 162_410_000_000),
        ("奈良市", 138_800_000_000), ("奈良市", 138_800_000_000), ("中央区", 105_422_183_000),
        ("四條畷市", 20_016_700_000)]
    assert {(row[0], row[2]) for row in found} == {
        ("江東区", "expenditure total"), ("品川区", "revenue total"), ("港区", "account"),
        ("奈良市", "revenue total"), ("奈良市", "expenditure total"), ("中央区", "account"), ("四條畷市", "account")}


def test_one_category_across_municipalities(minato_server):
    """民生費 across two cities' FY2021 expenditure tables, each share of its own table's total:
    Koto's 105,398,737 thousand yen of 217,129,000 (a 千円 table) and Nara's 635億円 of 1,388億円
    (a table in 億円)."""
    found = [(r["municipality"], r["label"], r["fiscal_year"], Decimal(r["amount"]), Decimal(r["share_percent"]))
             for r in answer(minato_server, "13-welfare-across-municipalities")]
    assert found == [("江東区", "民生費", "FY2021", 105_398_737_000, Decimal("48.5")),
                     ("奈良市", "民生費", "FY2021", 63_500_000_000, Decimal("45.7"))]


def test_every_example_is_checked():
    checked = {"01-total-budget", "02-accounts-two-years", "03-pillars-by-amount", "04-pillar-3-initiatives",
               "05-figure-source", "06-facilities-april-2022", "07-general-account-change", "08-source-defect",
               "09-indicators-before-after", "10-largest-initiatives", "11-general-account-across-budgets",
               "12-general-account-fy2021-per-municipality", "13-welfare-across-municipalities"}
    assert set(EXAMPLES) == checked


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_query_page_shows_the_gallery(minato_server, lang):
    status, headers, body = minato_server.request(path=f"/sparql?lang={lang}", headers={"Accept": "text/html"})
    page = body.decode("utf-8")
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert "<script>" not in page and "cdn" not in page.lower()
    for example in EXAMPLES.values():
        assert str(escape(example.title(lang))) in page
    status, _, _ = minato_server.request(path="/static/yasgui/yasgui.min.js")
    assert status == 200
    assert minato_server.request(path="/static/yasgui/LICENSE.txt")[0] == 200


def test_docs_carry_the_generated_examples():
    """docs/sparql.md's examples section is generated: `python3 -m zaisei.serving.examples docs/sparql.md`."""
    text = (ROOT / "docs" / "sparql.md").read_text(encoding="utf-8")
    section = text.split(DOC_START, 1)[1].split(DOC_END, 1)[0]
    assert section.strip() == examples_markdown().strip(), "run: python3 -m zaisei.serving.examples docs/sparql.md"
