"""No way out of the sandbox (issue 8, item 3): what test_sparql_safety.py does not cover yet.

That file proves SERVICE, LOAD, FROM <http:…> and FROM <file:…> are refused and that a local
listener sees no connection. Here: the server accepts no RDF from clients at all (no route
takes an upload, so no client JSON-LD is ever parsed and no remote @context can be fetched);
queries and documents naming remote JSON-LD documents and contexts fetch nothing; the JSON-LD
parser the server has (pyoxigraph) refuses remote contexts; and the server process never even
imports rdflib, whose JSON-LD parser does fetch them. Every outbound connection attempt from
Python code in the server, the engine's zygote or its workers is logged by an audit hook
(support/audit.py), and there must be none.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from support.servers import Served, get, raw
from support.servers import Listener
from zaisei.rdf.store import StoreError, parse

pytestmark = [pytest.mark.slow, pytest.mark.reliability]


@pytest.fixture(scope="module")
def audited_server(published):
    served = Served(published, audit=True)
    yield served
    served.stop()


def _jsonld(listener: Listener) -> bytes:
    return json.dumps({"@context": [listener.url + "context.jsonld", {"@import": listener.url + "import.jsonld"}],
                       "@id": listener.url + "thing", "name": "x", "@included": [{"@context": listener.url + "c2"}]
                       }).encode()


def test_no_route_accepts_rdf_so_no_remote_context_is_ever_fetched(audited_server):
    """Every method that could carry RDF, to every route (and the Graph Store Protocol's ?graph=):
    a 4xx, and no connection anywhere."""
    listener = Listener()
    mark = audited_server.audit.size()
    graph = urllib.parse.quote(listener.url + "g", safe="")
    bodies = [("application/ld+json", _jsonld(listener)), ("application/json", _jsonld(listener)),
              ("text/turtle", f"@prefix owl: <http://www.w3.org/2002/07/owl#> . <{listener.url}s> owl:imports "
                              f"<{listener.url}o> .".encode()),
              ("application/rdf+xml", f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "{listener.url}e">]>'
                                      f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&e;'
                                      f'</rdf:RDF>'.encode()),
              ("application/n-quads", f"<{listener.url}s> <{listener.url}p> <{listener.url}o> <{listener.url}g> .".encode()),
              ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=\"query\"; "
                                                  b"filename=\"q.jsonld\"\r\n\r\n" + _jsonld(listener) + b"\r\n--b--\r\n")]
    routes = ["/sparql", f"/sparql?graph={graph}", "/sparql?default", f"/sparql?graph={graph}&query=ASK%7B%7D",
              "/", "/doc/minato-2021/budget", "/id/minato-2021/budget", "/catalog", "/catalog.jsonld", "/data",
              "/store", "/rdf-graph-store", "/download/minato-2021/minato-2021.jsonld", "/def/", "/.well-known/void"]
    problems = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for route in routes:
            for media, body in bodies:
                answer = raw(audited_server.port, get(route, f"Content-Type: {media}", method=method, body=body))
                if answer.status is None or not 400 <= answer.status < 500:
                    problems.append(f"{method} {route} {media}: {answer.status}")
    assert problems == []
    assert listener.close() == 0
    assert audited_server.audit.connections(mark) == []


def test_queries_and_documents_naming_remote_json_ld_fetch_nothing(audited_server):
    """IRIs of remote JSON-LD documents and contexts, in queries, datasets, answers and Host: nothing fetched."""
    listener = Listener()
    mark = audited_server.audit.size()
    context = json.dumps({"@context": listener.url + "context.jsonld", "@id": "x"}).replace('"', '\\"')
    doc = listener.url + "doc.jsonld"
    queries = [f'SELECT ?j WHERE {{ BIND(STRDT("{context}", <http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>) AS ?j) }}',
               f"SELECT * WHERE {{ <{doc}> ?p ?o }}", f"DESCRIBE <{doc}>", f"ASK {{ GRAPH <{doc}> {{ ?s ?p ?o }} }}",
               f"CONSTRUCT {{ <{doc}> <http://www.w3.org/ns/json-ld#context> <{listener.url}context.jsonld> }} WHERE {{}}",
               f"BASE <{listener.url}> SELECT (<context.jsonld> AS ?c) WHERE {{}}",
               f'SELECT (IRI("{doc}") AS ?i) (URI(CONCAT("{listener.url}", "x")) AS ?u) WHERE {{}}',
               f'PREFIX ctx: <{listener.url}> SELECT * WHERE {{ ?s ctx:p ?o }} LIMIT 1']
    for query in queries:
        for accept in ("application/ld+json", "application/sparql-results+json", "text/turtle"):
            for extra in ({}, {"default-graph-uri": doc}, {"named-graph-uri": doc}):
                path = "/sparql?" + urllib.parse.urlencode({"query": query, **extra})
                answer = raw(audited_server.port, get(path, f"Accept: {accept}"))
                assert answer.status in (200, 406), (query, accept, answer.status, answer.body[:200])
    # The service description and pages name the endpoint by the Host header: not a URL to fetch.
    for path in ("/sparql", "/sitemap.xml", "/doc/minato-2021/budget.jsonld", "/catalog.jsonld"):
        answer = raw(audited_server.port, get(path, "Accept: application/ld+json").replace(
            b"Host: 127.0.0.1", f"Host: 127.0.0.1:{listener.port}".encode()))
        assert answer.status == 200
    assert listener.close() == 0
    assert audited_server.audit.connections(mark) == []


def test_json_ld_answers_name_no_remote_context(audited_server):
    """What we serve as JSON-LD carries its context inline: no client needs to fetch one either."""
    for path in ("/doc/minato-2021/budget.jsonld", "/catalog.jsonld",
                 "/sparql?" + urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 5"})):
        answer = raw(audited_server.port, get(path, "Accept: application/ld+json"))
        assert answer.status == 200, path
        document = json.loads(answer.body)
        contexts = [document.get("@context")] if isinstance(document, dict) else []
        assert all(not isinstance(c, str) for c in contexts), (path, contexts)


def test_the_json_ld_parser_refuses_remote_contexts():
    """pyoxigraph, the only RDF parser the server has, does not fetch a remote @context."""
    listener = Listener()
    for document in (_jsonld(listener), json.dumps({"@context": listener.url, "@id": "http://x/s"}).encode()):
        with pytest.raises(StoreError, match="remote context"):
            parse(document, "jsonld")
    assert listener.close() == 0


def test_the_server_never_loads_rdflib(audited_server):
    """rdflib's JSON-LD parser fetches remote contexts (and its SPARQL engine, SERVICE and FROM):
    the serving processes must not even import it. The audit log holds every file they opened."""
    raw(audited_server.port, get("/sparql?query=ASK%7B%7D"))
    raw(audited_server.port, get("/doc/minato-2021/budget.jsonld"))
    loaded = [path for path in audited_server.audit.files() if "/rdflib/" in path]
    assert loaded == [], "the server imported rdflib; make sure no client input reaches its parsers"
