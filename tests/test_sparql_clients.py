"""Real clients against the live endpoint: SPARQLWrapper in every return format, rdflib's
SPARQLStore, and Rasqal's roqet (C, not Python)."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from support.paths import need_tool
from support.outputs import tiny_output
from support.servers import LiveServer

pytestmark = pytest.mark.external

EX = "http://example.org/zaisei/"
GRAPH = EX + "graph"
DATA = f"""<{EX}general> <http://www.w3.org/2004/02/skos/core#prefLabel> "一般会計"@ja .
<{EX}general> <http://www.w3.org/2004/02/skos/core#prefLabel> "General account"@en .
<{EX}general> <{EX}amount> "162410000000"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<{EX}general> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Account> .
<{EX}nhi> <{EX}amount> "23252261000"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<{EX}nhi> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Account> .
<{EX}nhi> <{EX}note> "tab\\there, \\"quoted\\", comma" .
"""
SELECT = f"SELECT ?account ?amount WHERE {{ ?account a <{EX}Account> ; <{EX}amount> ?amount }} ORDER BY ?account"
AMOUNTS = {EX + "general": "162410000000", EX + "nhi": "23252261000"}
CONSTRUCT = f"CONSTRUCT {{ ?a <{EX}amount> ?v }} WHERE {{ ?a <{EX}amount> ?v }}"
# rdflib's JSON-LD parser (used by SPARQLWrapper.convert) warns about its own ConjunctiveGraph.
RDFLIB_JSONLD = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def tiny_server():
    live = LiveServer(tiny_output({GRAPH: DATA}))
    yield live
    live.close()


def wrapper(tiny_server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(tiny_server.endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json_xml(tiny_server, method):
    rows = wrapper(tiny_server, SELECT, JSON, method).query().convert()["results"]["bindings"]
    assert {r["account"]["value"]: r["amount"]["value"] for r in rows} == AMOUNTS
    assert rows[0]["amount"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    document = wrapper(tiny_server, SELECT, XML, method).query().convert()
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == list(AMOUNTS.values())


@pytest.mark.parametrize("fmt, delimiter", [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_select_csv_tsv(tiny_server, fmt, delimiter):
    text = wrapper(tiny_server, SELECT, fmt).query().convert().decode("utf-8")
    if fmt == CSV:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert rows == [["account", "amount"], *[[a, v] for a, v in AMOUNTS.items()]]
    else:  # TSV writes terms in Turtle syntax, no CSV quoting
        rows = [line.split(delimiter) for line in text.splitlines()]
        assert rows[0] == ["?account", "?amount"] and rows[1][0] == f"<{EX}general>"
        assert rows[1][1] in ("162410000000.0", f'"162410000000"^^<{rdflib.XSD.decimal}>')


def test_sparqlwrapper_special_characters_survive_csv(tiny_server):
    text = wrapper(tiny_server, f"SELECT ?note WHERE {{ ?s <{EX}note> ?note }}", CSV).query().convert().decode()
    assert list(csv.reader(io.StringIO(text))) == [["note"], ['tab\there, "quoted", comma']]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(tiny_server, fmt):
    result = wrapper(tiny_server, f"ASK {{ <{EX}general> a <{EX}Account> }}", fmt).query().convert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@RDFLIB_JSONLD
@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
@pytest.mark.parametrize("form", ["construct", "describe"])
def test_sparqlwrapper_graphs(tiny_server, fmt, form):
    query = CONSTRUCT if form == "construct" else f"DESCRIBE <{EX}general>"
    result = wrapper(tiny_server, query, fmt).query().convert()
    graph = result if isinstance(result, rdflib.Graph) else rdflib.Graph().parse(
        data=result, format="turtle" if fmt in (TURTLE, N3) else "json-ld")
    amounts = {str(s): str(o) for s, _, o in graph.triples((None, rdflib.URIRef(EX + "amount"), None))}
    expected = AMOUNTS if form == "construct" else {EX + "general": AMOUNTS[EX + "general"]}
    assert amounts == expected


def test_rdflib_sparqlstore(tiny_server):
    graph = rdflib.Graph(store=SPARQLStore(tiny_server.endpoint, returnFormat="xml"))
    rows = {str(row.account): row.amount.toPython() for row in graph.query(SELECT)}
    assert {a: str(int(v)) for a, v in rows.items()} == AMOUNTS
    labels = {o.language: str(o) for o in graph.objects(rdflib.URIRef(EX + "general"), rdflib.SKOS.prefLabel)}
    assert labels == {"ja": "一般会計", "en": "General account"}
    assert bool(graph.query(f"ASK {{ <{EX}nhi> a <{EX}Account> }}").askAnswer) is True


@pytest.mark.parametrize("results", ["xml", "csv", "tsv", "simple"])
def test_roqet(tiny_server, results):
    """Rasqal's roqet, a C client: SELECT in every results format it writes. (roqet -p reads only
    variable bindings from a service; its ASK and CONSTRUCT over the protocol are not usable.)"""
    roqet = need_tool("roqet")
    done = subprocess.run([roqet, "-i", "sparql11-query", "-p", tiny_server.endpoint, "-r", results, "-e", SELECT],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for account, amount in AMOUNTS.items():
        assert account in done.stdout and amount in done.stdout
    assert "returned 2 results" in done.stderr or results != "simple"
