"""The W3C SPARQL 1.1 Protocol test suite, run from its manifest against the live server,
and the SPARQL 1.1 Service Description checks, written from the specification.

The suite's data (data1.nt .. data3.nt) is served as a tiny publication whose named graphs
carry the IRIs the tests name. The update tests apply in their refused form: the update
request must get a 4xx, and the follow-up queries must show that nothing changed.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import rdflib
from rdflib.namespace import RDF, XSD

from support.outputs import KASEI, PROTOCOL, protocol_output
from support.paths import need_shared
from support.servers import LiveServer

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
RESULT_TYPES = {"boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
                "tabular": ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                            "text/tab-separated-values"),
                "RDF": ("application/rdf+xml", "text/turtle", "application/n-triples")}
RDF_PARSERS = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt",
               "application/ld+json": "json-ld"}


def _manifest() -> list[tuple[str, list[dict]]]:
    """[(test name, [request, ...])] in manifest order; each request a dict of what to send and expect."""
    graph = rdflib.Graph().parse(PROTOCOL / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in rdflib.collection.Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = rdflib.collection.Collection(graph, graph.value(action, HT.requests))
        tests.append((str(entry).rsplit("#", 1)[1], [_request(graph, r) for r in requests]))
    return tests


def _request(graph, node) -> dict:
    body = graph.value(node, HT.body)
    headers = graph.value(node, HT.headers)
    response = graph.value(node, HT.resp)
    boolean = graph.value(response, MF.expectedBoolean)
    return {
        "method": str(graph.value(node, HT.methodName)),
        "path": "/sparql" + str(graph.value(node, HT.absolutePath)).removeprefix("/sparql/"),
        "body": (str(graph.value(body, CNT.chars)).encode(str(graph.value(body, CNT.characterEncoding)))
                 if body is not None else None),
        "headers": {str(graph.value(h, HT.fieldName)): str(graph.value(h, HT.fieldValue))
                    for h in (rdflib.collection.Collection(graph, headers) if headers else [])},
        "status": {str(s).rsplit("StatusCode", 1)[1][0] for s in graph.objects(response, MF.expectedStatus)},
        "format": str(graph.value(response, MF.expectedFormat) or "") or None,
        "boolean": None if boolean is None else boolean.toPython(),
    }


TESTS = _manifest() if PROTOCOL.exists() else []   # the suite is third-party: ../shared/ (CI has it)


def test_the_protocol_suite_is_there():
    """Without the suite the tests below are not run; this one says so (skip here, fail in CI)."""
    assert (need_shared(PROTOCOL) / "manifest.ttl").exists() and len(TESTS) >= 30


@pytest.fixture(scope="module")
def protocol_server():
    live = LiveServer(protocol_output(), query_timeout=10.0)
    yield live
    live.close()


def _send(protocol_server, request: dict) -> tuple[int, str, bytes]:
    """Exactly the request of the manifest (http.client adds no Content-Type of its own)."""
    connection = http.client.HTTPConnection("127.0.0.1", protocol_server.server.effective_port, timeout=30)
    connection.request(request["method"], request["path"], body=request["body"], headers=request["headers"])
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type", "").split(";")[0].strip(), body


def _boolean(media: str, body: bytes) -> bool:
    if media == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    element = ET.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
    return element.text.strip() == "true"


def _check(protocol_server, request: dict, expected_status: set[str], expected_boolean=None) -> None:
    status, media, body = _send(protocol_server, request)
    assert str(status)[0] in expected_status, (status, body[:300])
    if request["format"] and str(status)[0] == "2":
        assert media in RESULT_TYPES[request["format"]], media
        if request["format"] == "RDF":
            rdflib.Graph().parse(data=body, format=RDF_PARSERS[media])
        if request["format"] == "tabular" and media.endswith("json"):
            assert "results" in json.loads(body)
    if expected_boolean is not None:
        assert _boolean(media, body) is expected_boolean, body


@pytest.mark.parametrize("name, requests", TESTS, ids=[name for name, _ in TESTS])
def test_protocol(protocol_server, name, requests):
    """Each manifest test; update tests in refused form (4xx, and their effect is absent)."""
    if not name.startswith("update_"):
        for request in requests:
            _check(protocol_server, request, request["status"], request["boolean"])
        return
    first, *follow_ups = requests
    status, _, body = _send(protocol_server, first)
    assert 400 <= status < 500, (status, body)
    assert b"read-only" in body
    for request in follow_ups:
        _check(protocol_server, request, {"2"}, None if request["boolean"] is None else not request["boolean"])
    # The data is as it was: every graph still holds its one triple.
    for n in (1, 2, 3):
        query = urllib.parse.quote(f"ASK {{ GRAPH <{KASEI}data{n}.rdf> {{ ?s ?p ?o }} }}")
        ask = {"method": "GET", "path": f"/sparql?query={query}", "body": None, "headers": {}, "format": "boolean"}
        _check(protocol_server, ask, {"2"}, True)


def test_suite_is_complete():
    """34 tests: 20 apply to a read-only endpoint as written, 14 are updates (refused)."""
    need_shared(PROTOCOL)
    names = [name for name, _ in TESTS]
    assert len(names) == 34
    assert sum(name.startswith("update_") for name in names) == 7
    assert sum("update" in name for name in names) == 14


# --- SPARQL 1.1 Service Description (sections 2 and 3) ------------------------------------


def _description(protocol_server, accept: str = "text/turtle") -> rdflib.Graph:
    status, headers, body = protocol_server.request(headers={"Accept": accept})
    assert status == 200, body
    media = headers["Content-Type"].split(";")[0]
    assert media == accept
    if media == "application/ld+json":  # rdflib's JSON-LD parser warns (ConjunctiveGraph); read via N-Triples
        from zaisei.rdf.render import render
        from zaisei.rdf.store import parse

        body, media = render(parse(body, "jsonld"), "ntriples"), "application/n-triples"
    return rdflib.Graph().parse(data=body, format=RDF_PARSERS[media])


@pytest.mark.parametrize("accept", list(RDF_PARSERS))
def test_service_description_returns_rdf(protocol_server, accept):
    """returns-rdf: GET on the endpoint without a query is RDF, in every RDF format we offer."""
    graph = _description(protocol_server, accept)
    assert (None, RDF.type, SD.Service) in graph


def test_service_description_has_endpoint_triple(protocol_server):
    """has-endpoint-triple: exactly one sd:endpoint, the URL that was dereferenced."""
    graph = _description(protocol_server)
    service = next(graph.subjects(RDF.type, SD.Service))
    assert list(graph.objects(service, SD.endpoint)) == [rdflib.URIRef(protocol_server.endpoint)]


def test_service_description_conforms_to_schema(protocol_server):
    """conforms-to-schema: the terms and shapes of the sd: vocabulary, no blank nodes, true counts."""
    graph = _description(protocol_server)
    assert not any(isinstance(term, rdflib.BNode) for triple in graph for term in triple)
    service = next(graph.subjects(RDF.type, SD.Service))
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    formats = set(graph.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats and len(formats) == 8
    assert set(graph.objects(service, SD.feature)) <= {SD.UnionDefaultGraph, SD.EmptyGraphs, SD.RequiresDataset}
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    default = graph.value(dataset, SD.defaultGraph)
    assert (default, RDF.type, SD.Graph) in graph
    triples = graph.value(default, VOID.triples)
    assert triples.datatype == XSD.integer and triples.toPython() == 3
    names = set()
    for named in graph.objects(dataset, SD.namedGraph):
        assert (named, RDF.type, SD.NamedGraph) in graph
        assert len(list(graph.objects(named, SD.name))) == 1
        names.add(str(graph.value(named, SD.name)))
        assert graph.value(graph.value(named, SD.graph), VOID.triples).toPython() == 1
    assert names == {f"{KASEI}data{n}.rdf" for n in (1, 2, 3)}


def test_service_description_or_page_by_accept(protocol_server):
    """curl's */* gets Turtle; a browser gets the query page."""
    status, headers, _ = protocol_server.request(headers={"Accept": "*/*"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = protocol_server.request(headers={"Accept": browser})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"/static/yasgui/yasgui.min.js" in body
