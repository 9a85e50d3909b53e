"""The mappings: the built graph answers the questions users ask, with SPARQL alone."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
import rdflib

from support.paths import FIXTURES, ROOT, SOURCES, need_tool
from zaisei.graph import iris, mapping
from zaisei import sources
from zaisei.rdf.render import render
from zaisei.sources import TABLES
from zaisei.rdf.store import GraphStore

BASE = "http://127.0.0.1:8080"
PREFIXES = """
PREFIX zs: <https://w3id.org/zaisei/def/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


@pytest.fixture(scope="module")
def triples():
    return mapping.run(sources.load(SOURCES / "minato-2021"), ROOT / "mappings", BASE)


@pytest.fixture(scope="module")
def store(triples):
    graph = GraphStore()
    graph.add(triples)
    return graph


def select(store, query):
    return store.select(PREFIXES + query)


def test_total_of_all_accounts_fy2021(store):
    rows = select(store, """
      SELECT (SUM(?amount) AS ?total) WHERE {
        ?f a zs:AccountFigure ; zs:account ?a ; zs:amount ?amount ; obeu-dimension:fiscalPeriod ?fy .
        ?a skos:broader ?all . ?fy rdfs:label "FY2021"@en }""")
    assert Decimal(rows[0]["total"].value) == 208_391_749_000
    stated = select(store, """SELECT ?amount WHERE { ?f a zs:AccountFigure ; zs:account ?a ; zs:amount ?amount ;
        obeu-dimension:fiscalPeriod/rdfs:label "FY2021"@en . FILTER NOT EXISTS { ?a skos:broader ?x } }""")
    assert [Decimal(r["amount"].value) for r in stated] == [208_391_749_000]


def test_general_account_change_against_fy2020(store):
    rows = select(store, """
      SELECT ?change ?rate ?now ?before WHERE {
        ?c a zs:YearOnYearChange ; zs:changeAmount ?change ; zs:changeRate ?rate ;
           zs:current/zs:amount ?now ; zs:previous/zs:amount ?before ;
           zs:current/zs:account/skos:prefLabel "一般会計"@ja }""")
    row = rows[0]
    assert Decimal(row["change"].value) == 16_970_000_000
    assert Decimal(row["rate"].value) == Decimal("11.7")
    assert Decimal(row["now"].value) - Decimal(row["before"].value) == 16_970_000_000


def test_pillar_3_initiatives_ordered_by_amount(store):
    rows = select(store, """
      SELECT ?label ?amount WHERE {
        ?pillar a zs:PolicyPillar ; zs:order 3 . ?i skos:broader ?pillar ; skos:prefLabel ?label .
        FILTER(LANG(?label) = "ja") ?f zs:priority ?i ; zs:amount ?amount } ORDER BY DESC(?amount)""")
    assert [r["label"].value for r in rows] == [
        "全ての子どもたちへの学びの保障", "子ども家庭総合支援センターの開設", "保育の質の向上",
        "子どもを安心して生み育てられる環境の整備"]
    assert Decimal(rows[0]["amount"].value) == 12_133_360_000


def test_source_line_and_quote_behind_a_figure(store):
    rows = select(store, """
      SELECT ?line ?exact WHERE {
        ?f zs:account/dcterms:identifier "general" ; obeu-dimension:fiscalPeriod/rdfs:label "FY2021"@en ;
           zs:source ?q . ?q zs:supports zs:amount ; zs:line ?line ; oa:hasSelector/oa:exact ?exact }""")
    assert [(r["line"].value, r["exact"].value) for r in rows] == [("306", "1,624億1,000万円")]
    lines = (SOURCES / "minato-2021" / "document.txt").read_text(encoding="utf-8").split("\n")
    assert "1,624億1,000万円" in lines[306 - 1]


def test_facilities_opening_in_april_2022(store):
    rows = select(store, """
      SELECT ?name WHERE { ?f a zs:Facility ; zs:openingMonth "2022-04"^^xsd:gYearMonth ; schema:name ?name .
        FILTER(LANG(?name) = "ja") } ORDER BY ?name""")
    names = {r["name"].value for r in rows}
    assert {"札の辻スクエア（芝五丁目複合施設）", "港区立三田図書館", "港区立産業振興センター", "芝浜小学校"} <= names
    assert "子ども家庭総合支援センター" not in names


def test_the_known_defect_is_recorded_not_patched(store):
    rows = select(store, """SELECT ?exact WHERE { ?d a zs:SourceDefect ; zs:affects/zs:order 3 ;
        zs:source/oa:hasSelector/oa:exact ?exact }""")
    assert [r["exact"].value for r in rows] == ["〇億〇〇〇〇万円"]


@pytest.mark.parametrize("ic", sorted((FIXTURES / "datacube").glob("*.rq")), ids=lambda p: p.stem)
def test_data_cube_integrity_constraint_holds(store, ic):
    assert not bool(store.query(PREFIXES + ic.read_text(encoding="utf-8"), use_default_graph_as_union=True))


def test_data_cube_check_can_fail(triples):
    """IC-1 detects an observation in two data sets (so the ASK queries are not vacuous)."""
    broken = GraphStore()
    broken.add(triples)
    extra = mapping.run(sources.load(SOURCES / "minato-2021"), ROOT / "mappings", BASE + "/other")
    broken.add(t for t in extra if "dataSet" in t.predicate.value)
    moved = [t for t in triples if "dataSet" in t.predicate.value]
    broken.add([type(moved[0])(moved[0].subject, moved[0].predicate, extra[0].subject)])
    query = (FIXTURES / "datacube" / "ic-01.rq").read_text(encoding="utf-8")
    assert bool(broken.query(PREFIXES + query, use_default_graph_as_union=True))


def test_hierarchical_code_lists_are_walked_by_ic20_and_ic21(store, triples):
    """IC-20/21 are not vacuous: account and priority observations take their values from
    hierarchical code lists, and cutting one link of a hierarchy breaks both checks."""
    rows = select(store, """SELECT (COUNT(*) AS ?n) WHERE { ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim qb:codeList ?list . ?list a qb:HierarchicalCodeList . ?obs ?dim ?v }""")
    assert int(rows[0]["n"].value) >= 40
    cut = [t for t in triples if not (t.predicate.value.endswith("#narrower") and t.object.value.endswith("/account/general"))]
    cut = [t for t in cut if not (t.predicate.value.endswith("#broader") and t.subject.value.endswith("/account/general"))]
    broken = GraphStore()
    broken.add(cut)
    for ic in ("ic-20.rq", "ic-21.rq"):
        query = (FIXTURES / "datacube" / ic).read_text(encoding="utf-8")
        assert bool(broken.query(PREFIXES + query, use_default_graph_as_union=True)), ic


def _table_figures(dataset) -> set[tuple[str, str, str, Decimal]]:
    found = set()
    for spec in TABLES:
        for row in dataset.rows(spec.name):
            for figure in spec.figures:
                if figure.value and figure.unit != "年月" and row[figure.value].strip():
                    found.add((spec.name, row.key, figure.name.replace(" ", "-"), Decimal(row[figure.value])))
    return found


def _graph_figures(store) -> set[tuple[str, str, str, Decimal]]:
    rows = select(store, """SELECT ?q ?value WHERE { ?thing zs:source ?q . ?q zs:supports ?p . ?thing ?p ?value .
        FILTER(isNumeric(?value)) }""")
    found = set()
    for row in rows:
        kind, parts = iris.classify(BASE, row["q"].value)
        assert kind == "quote"
        found.add((parts["table"], parts["key"], parts["figure"], Decimal(row["value"].value)))
    return found


def test_every_table_figure_is_in_the_graph_and_nothing_else(store):
    expected = _table_figures(sources.load(SOURCES / "minato-2021"))
    assert _graph_figures(store) == expected
    assert len(expected) > 100


def test_no_blank_nodes_and_every_iri_is_minted_by_iris(triples):
    for triple in triples:
        for term in (triple.subject, triple.object):
            assert type(term).__name__ != "BlankNode"
            if type(term).__name__ == "NamedNode" and term.value.startswith(BASE):
                assert iris.classify(BASE, term.value), term.value


def test_output_is_identical_for_identical_input(triples):
    again = mapping.run(sources.load(SOURCES / "minato-2021"), ROOT / "mappings", BASE)
    assert render(again, "turtle") == render(triples, "turtle")


def test_base_iri_is_configurable():
    other = mapping.run(sources.load(FIXTURES / "sources" / "testtown-2030"), ROOT / "mappings", "https://example.org/x")
    subjects = {t.subject.value for t in other}
    assert "https://example.org/x/id/testtown-2030/budget" in subjects
    assert not any(s.startswith(BASE) for s in subjects)


@pytest.mark.parametrize("name, fmt", [("ontology", "turtle"), ("data", "turtle"), ("data", "ntriples")])
def test_rdflib_and_rapper_read_the_same_number_of_triples(tmp_path, triples, name, fmt):
    rapper = need_tool("rapper")
    if name == "ontology":
        path = ROOT / "ontology" / "zaisei.ttl"
    else:
        path = tmp_path / f"data.{'ttl' if fmt == 'turtle' else 'nt'}"
        path.write_bytes(render(triples, fmt))
    graph = rdflib.Graph().parse(path, format={"turtle": "turtle", "ntriples": "nt"}[fmt])
    counted = subprocess.run([rapper, "-i", fmt, "-c", str(path)], capture_output=True, text=True, check=True)
    assert f"returned {len(graph)} triples" in counted.stderr
    if name == "data":
        assert len(graph) == len(triples)


# --- cited datasets: only the tables a source has; cells, not quotes -------------------------

def _cited_store(key: str) -> GraphStore:
    graph = GraphStore()
    graph.add(mapping.run(sources.load(SOURCES / key), ROOT / "mappings", BASE))
    return graph


def _column(graph: GraphStore, query: str, name: str) -> list[str]:
    return sorted(row[name].value for row in graph.select(PREFIXES + query))


def test_a_dataset_of_accounts_alone_has_only_its_cubes_and_structures():
    """Chuo's budget-size table (accounts, budget, changes): no empty priority or stated-figure
    cube, no ratio measure (the table states none), and every cube's structure declared."""
    graph = _cited_store("chuo-2021")
    cubes = _column(graph, "SELECT ?c WHERE { ?c a qb:DataSet }", "c")
    assert cubes == [f"{BASE}/id/chuo-2021/cube/accounts", f"{BASE}/id/chuo-2021/cube/changes"]
    measures = _column(graph, "SELECT ?m WHERE { ?d a qb:DataStructureDefinition ; qb:component/qb:measure ?m }", "m")
    assert measures == ["https://w3id.org/zaisei/def/amount", "https://w3id.org/zaisei/def/changeAmount",
                        "https://w3id.org/zaisei/def/changeRate"]
    assert not _column(graph, "SELECT ?s WHERE { ?s a zs:SourceQuote }", "s")
    assert _column(graph, "SELECT ?s WHERE { ?s a skos:ConceptScheme }", "s") == [f"{BASE}/id/chuo-2021/scheme/accounts"]


def test_a_cited_figure_is_sourced_from_the_cell_it_was_typed_in_from():
    graph = _cited_store("chuo-2021")
    (row,) = graph.select(PREFIXES + """SELECT ?cell ?printed ?position ?caption ?page WHERE {
        ?f zs:source ?cell . ?cell a zs:TableCell ; zs:supports zs:amount ; zs:printed ?printed ;
           zs:rowPosition ?position ; zs:citedTable ?t .
        ?t a zs:CitedTable ; dcterms:title ?caption ; dcterms:source ?page FILTER(LANG(?caption) = "ja") }""",
                          f=f"{BASE}/id/chuo-2021/figure/account/general/2020")
    assert row["cell"].value == f"{BASE}/id/chuo-2021/table/budget-size/1/amount-2020"
    assert (row["printed"].value, row["position"].value, row["caption"].value) == ("118,374,610", "1", "財政規模")
    assert row["page"].value.startswith("https://www.city.chuo.lg.jp/")


def test_revenue_by_category_is_a_cube_of_its_own_matched_to_the_national_list():
    graph = _cited_store("shinagawa-2021")
    ds = f"{BASE}/id/shinagawa-2021"
    (row,) = graph.select(PREFIXES + """SELECT ?now ?before ?change ?rate ?op ?national WHERE {
        ?current zs:revenueCategory ?c ; zs:amount ?now ; obeu-dimension:operationCharacter ?op ;
                 obeu-dimension:fiscalPeriod ?year .
        ?x zs:current ?current ; zs:previous/zs:amount ?before ; zs:changeAmount ?change ; zs:changeRate ?rate .
        ?c skos:exactMatch ?national }""", c=f"{ds}/revenue/special-ward-tax", year=f"{BASE}/id/fiscal-year/2021")
    assert [Decimal(row[k].value) for k in ("now", "before", "change", "rate")] == [
        Decimal(49_391_400_000), Decimal(51_219_700_000), Decimal(-1_828_300_000), Decimal("-3.6")]
    assert row["op"].value.endswith("/operation-character/revenue")
    assert row["national"].value == "https://w3id.org/zaisei/code/revenue/special-ward-tax"
    dimension = _column(graph, "SELECT ?p WHERE { ?d rdfs:subPropertyOf ?p ; qb:codeList ?l }", "p")
    assert dimension == ["https://w3id.org/zaisei/def/account", "https://w3id.org/zaisei/def/revenueCategory"]
    # The caption names the general account: the account's source is the cited table itself.
    assert _column(graph, "SELECT ?s WHERE { ?a zs:source ?s }".replace("?a", f"<{ds}/account/general>"), "s") == [
        f"{ds}/table/general-revenue"]
