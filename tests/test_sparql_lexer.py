"""The query check (safety.py) reads SERVICE where pyoxigraph's own parser does (issue 13, item 1).

Differential: generated queries put SERVICE after every kind of token, glued or spaced, spelt in
every case and escape; pyoxigraph runs each over a store where the pattern before it matches, so
a SERVICE it parsed is evaluated, and fails on the IRI `urn:x-probe:1` (no network: an URN has no
host). Whenever pyoxigraph evaluated a SERVICE, inspect() must have refused the query.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zaisei.serving.safety import MAX_NESTING, Inspection, QueryRefused, inspect, tokens

XSD = "http://www.w3.org/2001/XMLSchema#"
OBJECTS = [ox.NamedNode("urn:c"), ox.Literal("x"), ox.Literal("x", language="en"), ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
           ox.Literal("1.0", datatype=ox.NamedNode(XSD + "decimal")), ox.Literal("1e0", datatype=ox.NamedNode(XSD + "double")),
           ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")), ox.NamedNode("urn:x:c")]
BEFORE = ["?o", "$o", "?o1", "?o_", "true", "false", "True", "FALSE", "UNDEF", "a", "A", "1", "1.0", "1.", "1e0", "1.e0", '"x"', "'x'", '"x"@en',
          '"""x"""', f'"1"^^<{XSD}integer>', "<urn:c>", "ex:c", ":c", "ex:c.", "ex:", "a", "[]", "()", "_:b",
          "?o FILTER(true)", "?o FILTER(?o<?o)", "?o BIND(1 AS ?q)", "?o . {}", "?o OPTIONAL{}", "?o VALUES ?q {1}"]
GLUE = ["", ".", " .", " . ", " ", "\n", "\t", "#c\n", ";", "\r\n", "\u3000"]
SPELLING = ["SERVICE", "service", "Service", "sErViCe", r"\u0053ERVICE", r"SERV\u0049CE", r"\U00000053ERVICE"]
AFTER = ["", " ", "\n", "#x\n"]
TARGET = ["<urn:x-probe:1>", "?v", "$v", "ex:probe", ":probe"]
PROLOGUE = "PREFIX ex: <urn:x:> PREFIX : <urn:x:> SELECT * WHERE { ?s ?p "
CLOSE = " { ?x ?y ?z } }"


@pytest.fixture(scope="module")
def store():
    store = ox.Store()
    for obj in OBJECTS:
        store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), obj))
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:x:"), ox.DefaultGraph()))
    return store


def evaluates_service(store, query: str) -> bool:
    """True when pyoxigraph parsed a SERVICE in the query and went to evaluate it."""
    try:
        result = store.query(query)
        list(result) if not isinstance(result, (bool, ox.QueryBoolean)) else bool(result)
    except OSError as exc:
        return "authority" in str(exc) or "service" in str(exc).lower()
    except RuntimeError as exc:
        return "service" in str(exc).lower()
    except (SyntaxError, ValueError):
        return False
    return False


def refused(query: str) -> bool:
    try:
        inspect(query, frozenset())
    except QueryRefused:
        return True
    return False


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.sampled_from(BEFORE), glue=st.sampled_from(GLUE), spelling=st.sampled_from(SPELLING),
       silent=st.sampled_from(["", " SILENT"]), after=st.sampled_from(AFTER), target=st.sampled_from(TARGET))
def test_every_service_pyoxigraph_evaluates_is_refused(store, before, glue, spelling, silent, after, target):
    query = f"{PROLOGUE}{before}{glue}{spelling}{silent}{after}{target}{CLOSE}"
    if not silent and evaluates_service(store, query):
        assert refused(query), query
    # SILENT hides the evaluation from this probe; the check must not depend on it.
    if silent and evaluates_service(store, query.replace(" SILENT", "")):
        assert refused(query), query


def test_every_token_and_glue_exhaustively(store):
    """Every token before SERVICE with every glue, all of them: each one pyoxigraph evaluates is
    refused, and the probe is not vacuous (glued spellings included)."""
    evaluated = []
    for before in BEFORE:
        for glue in GLUE:
            query = f"{PROLOGUE}{before}{glue}SERVICE<urn:x-probe:1>{CLOSE}"
            if evaluates_service(store, query):
                evaluated.append(before + glue)
                assert refused(query), query
    assert {"?o.", "true.", "$o.", "true"} <= set(evaluated) and len(evaluated) > 100


@pytest.mark.parametrize("query", [
    "SELECT * { ?s ?p ?o.SERVICE <http://127.0.0.1:1/sparql> { ?x ?y ?leak } }",
    "SELECT * { ?s ?p $o.SERVICE <http://127.0.0.1:1/sparql> { ?x ?y ?leak } }",
    "SELECT * { ?s ?p true.SERVICE <http://127.0.0.1:1/sparql> { ?x ?y ?leak } }",
    "SELECT * { ?s ?p ?o.SERVICE SILENT <http://127.0.0.1:1/sparql> { ?x ?y ?leak } }",
    "CONSTRUCT { ?x ?y ?leak } WHERE { ?s ?p ?o.SERVICE <http://127.0.0.1:1/sparql> { ?x ?y ?leak } }",
    "PREFIX ex: <http://127.0.0.1:1/> SELECT * { ?s ?p ?o . SERVICEex:sparql { } }",
    "PREFIX : <http://127.0.0.1:1/> SELECT * { ?s ?p ?o . SERVICE:sparql { } }",
    "SELECT * FROMex:g { }", r"SELECT * { ?s ?p ?o.\u0053ERVICE <http://x/> {} }",
])
def test_the_issues_bypasses_are_refused(query):
    with pytest.raises(QueryRefused):
        inspect(query, frozenset())


@pytest.mark.parametrize("query", [
    "PREFIX schema: <http://schema.org/> SELECT * { ?s a schema:Service ; schema:serviceType ?t }",
    'SELECT * { ?s ?p "SERVICE <http://x/> { }" } # SERVICE <http://x/>',
    "SELECT ?service WHERE { ?service ?p <http://example.org/SERVICE> }",
    "SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o >= -2) }",
])
def test_ordinary_queries_that_mention_service_pass(query):
    assert inspect(query, frozenset()) == Inspection("SELECT", False)


def test_terminals_follow_the_grammar():
    kinds = [(t.kind, t.text) for t in tokens('?o.SERVICE<x>{} ex:a.b "s"@en-GB 1.5e3 1. ?a<?b _:b1 $v')]
    assert kinds == [("var", "?o"), ("punct", "."), ("word", "SERVICE"), ("iri", "<x>"), ("punct", "{"),
                     ("punct", "}"), ("pname", "ex:a.b"), ("string", '"s"'), ("langtag", "@en-GB"),
                     ("number", "1.5e3"), ("number", "1"), ("punct", "."), ("var", "?a"), ("punct", "<"),
                     ("var", "?b"), ("bnode", "_:b1"), ("var", "$v")]


@pytest.mark.parametrize("operand", ["!", "-", "+", "! ", "- "])
def test_runs_of_unary_operators_count_as_nesting(operand):
    """`FILTER(!!...!true)` with 10,000 `!` killed a worker in ~20 ms (two brackets only)."""
    with pytest.raises(QueryRefused, match="brackets deep"):
        inspect(f"SELECT * {{ FILTER({operand * 10000}true) }}", frozenset())
    assert inspect(f"SELECT * {{ FILTER({'!' * (MAX_NESTING - 4)}true) }}", frozenset()).form == "SELECT"


def test_strict_mode_refuses_what_is_not_sparql():
    """For a remote engine: a dialect's pragma (Virtuoso's DEFINE fetches URLs) never reaches it."""
    query = "DEFINE input:grab-all \"yes\" SELECT * { ?s ?p ?o }"
    assert inspect(query, frozenset()).form == "SELECT"
    with pytest.raises(QueryRefused, match="not a SPARQL keyword"):
        inspect(query, frozenset(), strict=True)
    assert inspect("SELECT (STRLEN(?x) AS ?n) { VALUES ?x { 'a' } }", frozenset(), strict=True).form == "SELECT"


# --- queries small enough for the server process (engine/cheap.py) ---------------------------

from zaisei.serving.engine.cheap import cheap_pattern  # noqa: E402


@pytest.mark.parametrize("query, pattern", [
    ("ASK { ?s ?p ?o }", "?s ?p ?o"),
    ("PREFIX zs: <https://w3id.org/zaisei/def/> SELECT ?s WHERE { ?s a zs:Account . } ORDER BY DESC(?s) LIMIT 5",
     "?s a zs:Account"),
    ("SELECT DISTINCT ?p ?o { <http://x/s> ?p ?o } OFFSET 2 LIMIT 3", "<http://x/s> ?p ?o"),
    ('SELECT * { ?s ?p "x"@en }', '?s ?p "x" @en'), ("DESCRIBE <http://x/s>", "<http://x/s> ?p ?o"),
    ("SELECT * { ?s <http://x/p> -1.5 }", "?s <http://x/p> - 1.5"),
])
def test_cheap_shapes_are_recognised(query, pattern):
    assert cheap_pattern(query)[1] == pattern


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "SELECT * { ?s ?p ?o . ?a ?b ?c }", "SELECT * { ?s <p>* ?o }",
    "SELECT * { ?s ?p ?o FILTER(?o > 1) }", "SELECT * { ?s ?p ?o } ORDER BY STR(?o)", "SELECT * { ?s ?p [] }",
    "SELECT * { GRAPH ?g { ?s ?p ?o } }", "SELECT * FROM <http://g/> { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }",
    "SELECT * { ?s ?p ?o } GROUP BY ?s", "SELECT * { { ?s ?p ?o } }", "DESCRIBE ?s WHERE { ?s ?p ?o }",
    "SELECT * { ?s ?p ?o } LIMIT ?x",
])
def test_other_shapes_go_to_a_worker(query):
    assert cheap_pattern(query) is None
