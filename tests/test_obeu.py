"""OpenBudgets.eu conformance of each published dataset dump on its own (what a harvester that
downloads one file gets), checked twice: by the project's shapes (shapes/obeu.ttl) on the dump
alone, and by queries written here from what OBEU's integrity constraints require, run with
OBEU's own model (../shared/reference/obeu/) as the reference graph. Also: every account
observation reaches a national code list outside the dataset's IRIs."""

from __future__ import annotations

import pytest
import pyoxigraph as ox
import rdflib

from support.paths import ROOT, SHARED, need_shared
from zaisei.graph.iris import CODES
from zaisei.validation import shacl

DUMPS = sorted((ROOT / "output").glob("*/*.ttl"))
DUMPS = [d for d in DUMPS if d.stem == d.parent.name]   # the dataset dumps, not validation reports
DATA, MODEL = "urn:zaisei:test:data", "urn:zaisei:test:obeu-model"
PREFIXES = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX zs: <https://w3id.org/zaisei/def/>
"""
OBEU = "http://data.openbudgets.eu/ontology/"
MANDATORY = [OBEU + "dsd/measure/amount", OBEU + "dsd/attribute/currency", OBEU + "dsd/dimension/fiscalPeriod",
             OBEU + "dsd/dimension/operationCharacter", OBEU + "dsd/dimension/organization"]
# What each requirement forbids, as a query returning the offending terms (none = conforms).
# Each reads the data graph only, except where it compares with OBEU's model.
CHECKS = {
    "code list redefined": """SELECT ?p WHERE { GRAPH <%(data)s> { ?p qb:codeList ?mine }
        GRAPH <%(model)s> { ?p qb:codeList ?theirs } FILTER(!sameTerm(?mine, ?theirs)) }""",
    "property used as a class": """SELECT ?p WHERE { GRAPH <%(model)s> { ?p a rdf:Property }
        GRAPH <%(data)s> { ?x a ?p } }""",
    "deprecated term used": """SELECT ?t WHERE { GRAPH <%(model)s> { ?t owl:deprecated true }
        GRAPH <%(data)s> { { ?x a ?t } UNION { ?x ?t ?y } } }""",
    "term minted in OBEU's namespace": """SELECT DISTINCT ?t WHERE { GRAPH <%(data)s> { { ?x a ?t } UNION { ?x ?t ?y } }
        FILTER(STRSTARTS(STR(?t), "http://data.openbudgets.eu/ontology/"))
        FILTER NOT EXISTS { GRAPH <%(model)s> { ?t rdfs:isDefinedBy <http://data.openbudgets.eu/ontology> } } }""",
    "abstract classification used directly": """SELECT ?p WHERE { GRAPH <%(data)s> {
        ?dsd a qb:DataStructureDefinition ; qb:component/(qb:dimension|qb:componentProperty) ?p }
        VALUES ?p { <http://data.openbudgets.eu/ontology/dsd/dimension/classification>
          <http://data.openbudgets.eu/ontology/dsd/dimension/functionalClassification>
          <http://data.openbudgets.eu/ontology/dsd/dimension/economicClassification>
          <http://data.openbudgets.eu/ontology/dsd/dimension/administrativeClassification>
          <http://data.openbudgets.eu/ontology/dsd/dimension/programmeClassification> } }""",
}


def _store(dump, with_model: bool) -> ox.Store:
    store = ox.Store()
    store.load(path=str(dump), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(DATA))
    if with_model:
        for name in ("ontology.ttl", "components.ttl", "code_lists.ttl", "concepts.ttl"):
            store.load(path=str(SHARED / "reference" / "obeu" / name), format=ox.RdfFormat.TURTLE,
                       to_graph=ox.NamedNode(MODEL))
    return store


def _select(store: ox.Store, query: str) -> list[str]:
    return sorted(row[0].value for row in store.query(PREFIXES + query % {"data": DATA, "model": MODEL}))


def test_there_are_dumps_to_check():
    assert DUMPS and all(d.exists() for d in DUMPS)


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.stem)
def test_every_budget_structure_reaches_the_mandatory_components_within_the_dump(dump):
    store = _store(dump, with_model=False)
    structures = _select(store, "SELECT ?dsd WHERE { GRAPH <%(data)s> { ?dsd a zs:BudgetStructure } }")
    assert structures
    for dsd in structures:
        reached = _select(store, f"""SELECT DISTINCT ?p WHERE {{ GRAPH <%(data)s> {{
            <{dsd}> qb:component/qb:componentProperty/rdfs:subPropertyOf* ?p }} }}""")
        assert set(MANDATORY) <= set(reached), (dsd, sorted(set(MANDATORY) - set(reached)))
        currency = _select(store, f"""SELECT ?c WHERE {{ GRAPH <%(data)s> {{ <{dsd}> qb:component ?c .
            {{ ?c qb:attribute <{OBEU}dsd/attribute/currency> }} UNION {{ ?c qb:componentProperty <{OBEU}dsd/attribute/currency> }} }} }}""")
        assert currency, f"{dsd}: no currency attribute (obeu-attribute:currency itself)"


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.stem)
def test_every_structure_is_budget_or_statistical_and_only_budget_ones_hold_money(dump):
    store = _store(dump, with_model=False)
    unclassified = _select(store, """SELECT ?dsd WHERE { GRAPH <%(data)s> { ?dsd a qb:DataStructureDefinition
        FILTER NOT EXISTS { ?dsd a zs:BudgetStructure } FILTER NOT EXISTS { ?dsd a zs:StatisticalStructure } } }""")
    assert unclassified == []
    money_outside = _select(store, """SELECT ?dsd WHERE { GRAPH <%(data)s> { ?dsd a zs:StatisticalStructure ;
        qb:component/qb:componentProperty/rdfs:subPropertyOf* <http://data.openbudgets.eu/ontology/dsd/measure/amount> } }""")
    assert money_outside == []


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.stem)
def test_obeu_requirement_holds_against_obeus_own_model(dump, check):
    need_shared(SHARED / "reference" / "obeu")
    assert _select(_store(dump, with_model=True), CHECKS[check]) == []


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.stem)
def test_budget_phase_and_operation_character_take_obeus_codes(dump):
    need_shared(SHARED / "reference" / "obeu")
    store = _store(dump, with_model=True)
    foreign = _select(store, f"""SELECT DISTINCT ?v WHERE {{ GRAPH <%(data)s> {{ ?obs a qb:Observation ;
        <{OBEU}dsd/dimension/budgetPhase>|<{OBEU}dsd/dimension/operationCharacter> ?v }}
        FILTER NOT EXISTS {{ GRAPH <%(model)s> {{ ?v skos:inScheme ?list }} }} }}""")
    assert foreign == []


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.stem)
def test_the_projects_obeu_shapes_pass_on_the_dump_alone(dump):
    report = shacl.validate(rdflib.Graph().parse(dump))
    obeu = [r for r in report.results if "/shapes/OBEU-" in r.source_shape or "/shapes/QB-" in r.source_shape]
    assert obeu == [], report.text()


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.stem)
def test_every_account_observation_reaches_a_national_code_list(dump):
    store = _store(dump, with_model=False)
    stranded = _select(store, f"""SELECT ?obs WHERE {{ GRAPH <%(data)s> {{ ?obs zs:account ?account .
        FILTER NOT EXISTS {{ ?account skos:exactMatch|skos:closeMatch|skos:broadMatch|skos:narrowMatch|skos:relatedMatch ?kind
                             FILTER(STRSTARTS(STR(?kind), "{CODES}/account-kind/")) }} }} }}""")
    assert stranded == []
    counted = _select(store, "SELECT ?obs WHERE { GRAPH <%(data)s> { ?obs zs:account ?a } }")
    assert len(counted) >= 5


def test_the_national_concepts_exist_in_the_published_code_lists():
    codes = rdflib.Graph().parse(ROOT / "output" / "ontology" / "codes.ttl")
    for dump in DUMPS:
        data = rdflib.Graph().parse(dump)
        linked = {o for _, p, o in data if str(o).startswith(CODES + "/") and "Match" in str(p)}
        assert linked and all((o, rdflib.RDF.type, rdflib.SKOS.Concept) in codes for o in linked), dump
