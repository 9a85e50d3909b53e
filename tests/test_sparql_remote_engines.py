"""Remote mode on two engines, Oxigraph's server and Virtuoso (Debian's), each started on loopback:
`zaisei publish --graph-store` then `zaisei serve --sparql-endpoint`. The front refuses to start
unless the engine holds its output's version; then pages, downloads and the catalog (from the
output, so checked) and answers (from the engine) are the same as an embedded server's, also
from two fronts over one engine.

Virtuoso 7.2 stores an xsd:integer above 2^31 - 1 as an xsd:decimal: its answers are compared
with numbers read as numbers (docs/deploy.md says so too)."""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal

import pytest

from support.outputs import minato_output, tiny_output
from support.paths import run_cli
from support.servers import LiveServer, Served
from support.virtuoso import VirtuosoServer
from test_sparql_remote import OxigraphServer
from zaisei.serving.engine import publish
from zaisei.serving.examples import examples
from zaisei.serving.published import PublicationError
from zaisei.serving.web import create_app

pytestmark = [pytest.mark.slow, pytest.mark.external]
JSON = "application/sparql-results+json"
NUMBERS = {"http://www.w3.org/2001/XMLSchema#" + name for name in ("integer", "decimal")}


class Engine:
    """A started engine: its query endpoint and Graph Store endpoint."""

    def __init__(self, name: str, server, endpoint: str, graph_store: str):
        self.name, self.server, self.endpoint, self.graph_store = name, server, endpoint, graph_store


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def engine(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "oxigraph":
        server = OxigraphServer(folder)
        found = Engine("oxigraph", server, server.url + "/query", server.url + "/store")
    else:
        server = VirtuosoServer(folder)
        found = Engine("virtuoso", server, server.endpoint, server.graph_store)
    yield found
    server.close()


@pytest.fixture(scope="module")
def fronts(engine):
    """(embedded server, two remote-mode fronts over the one engine), after `zaisei publish`."""
    output = minato_output()
    done = run_cli("publish", "--graph-store", engine.graph_store, "--output", str(output))
    assert done.returncode == 0, done.stderr
    servers = [LiveServer(output), LiveServer(output, sparql_endpoint=engine.endpoint),
               LiveServer(output, sparql_endpoint=engine.endpoint)]
    yield servers
    for server in servers:
        server.close()


def _get(server, path: str, accept: str = JSON) -> bytes:
    status, _, body = server.request(path=path, headers={"Accept": accept})
    assert status == 200, body[:500]
    return body


def _sparql(server, query: str, accept: str = JSON) -> bytes:
    return _get(server, "/sparql?" + urllib.parse.urlencode({"query": query}), accept)


def _term(term: dict) -> tuple:
    """A SPARQL JSON term, numbers compared by value (integer and decimal alike)."""
    if term.get("datatype") in NUMBERS:
        return "number", Decimal(term["value"])
    return term.get("type"), term["value"], term.get("datatype"), term.get("xml:lang")


def _rows(body: bytes) -> list:
    """The rows as a sorted list: rows that tie under ORDER BY come in each engine's own order (the
    order itself is compared on Oxigraph by tests/test_sparql_remote.py)."""
    return sorted((sorted((name, _term(term)) for name, term in row.items())
                   for row in json.loads(body)["results"]["bindings"]), key=repr)


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_both_fronts_answer_the_examples_as_the_embedded_server(fronts, example):
    embedded, *remotes = fronts
    expected = _rows(_sparql(embedded, example.query))
    assert expected, "an example must have an answer"
    for remote in remotes:
        assert _rows(_sparql(remote, example.query)) == expected


def test_ask_construct_and_refusals(fronts, engine):
    embedded, remote, _ = fronts
    assert json.loads(_sparql(remote, "ASK { ?s a <https://w3id.org/zaisei/def/Account> }"))["boolean"] is True
    assert json.loads(_sparql(remote, "ASK { ?s a <urn:x-nothing:here> }"))["boolean"] is False
    construct = "CONSTRUCT WHERE { ?s a <https://w3id.org/zaisei/def/Account> }"
    assert _sparql(embedded, construct, "text/turtle") == _sparql(remote, construct, "text/turtle")
    status, _, _ = remote.request(path="/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}))
    assert status == 400
    status, _, _ = remote.request(path="/sparql?" + urllib.parse.urlencode(
        {"query": f"SELECT * FROM <{engine.endpoint}> WHERE {{ ?s ?p ?o }}"}))
    assert status == 400


def test_pages_downloads_and_catalog_are_the_checked_output(fronts):
    """What the fronts read from the output is what the embedded server sends: the output is the
    version the engine holds (checked when each front started)."""
    embedded, *remotes = fronts
    for path, accept in (("/", "text/html"), ("/catalog", "text/turtle"), ("/download/all.trig", "*/*"),
                         ("/id/minato-2021", "text/turtle")):
        expected = _get(embedded, path, accept)
        for remote in remotes:
            assert _get(remote, path, accept) == expected, path


def test_a_front_refuses_an_engine_holding_another_version(engine, tmp_path):
    """Another build published to the engine: a front over the old output will not start, and says
    which versions it found; `zaisei serve` exits 2 before listening."""
    base = json.loads((minato_output() / "build.json").read_text(encoding="utf-8"))["base"]
    other = tiny_output({"http://example.org/graph/other": "<http://x/a> <http://x/p> \"1\" .\n"}, base=base)
    publish(other, engine.graph_store)
    try:
        with pytest.raises(PublicationError, match="holds publication version"):
            create_app(minato_output(), sparql_endpoint=engine.endpoint)
        done = run_cli("serve", "--output", str(minato_output()), "--port", "0", "--sparql-endpoint", engine.endpoint)
        assert done.returncode == 2 and "publish this output" in done.stderr
        served = Served(other, "--sparql-endpoint", engine.endpoint)   # the output it holds: starts
        served.stop()
    finally:
        publish(minato_output(), engine.graph_store)   # as the module's other tests expect it
