"""Remote mode: `zaisei publish --graph-store` loads the build into Oxigraph's own server, and
`serve --sparql-endpoint` fronts it with the same answers and the same safety rules."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from support.paths import need_tool, run_cli
from benchmarks.measure import wait_until_answers
from test_sparql_protocol import TESTS, _check, _send
from support.outputs import KASEI, minato_output, protocol_output, tiny_output
from support.servers import Listener, LiveServer, free_port
from zaisei.serving.engine import publish
from zaisei.serving.examples import examples

pytestmark = [pytest.mark.slow, pytest.mark.external]


class OxigraphServer:
    """`oxigraph serve` on a free loopback port over an empty folder."""

    def __init__(self, folder):
        binary = need_tool("oxigraph")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen([binary, "serve", "--location", str(folder), "--bind", self.url[7:]],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_answers(self.url + "/query", "ASK {}", self.process, 30)
        except (RuntimeError, TimeoutError):
            self.close()
            raise

    def count(self, graph: str) -> int:
        query = urllib.parse.quote(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        request = urllib.request.Request(f"{self.url}/query?query={query}",
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(json.load(response)["results"]["bindings"][0]["n"]["value"])

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.close()


def test_publish_replaces_each_graph(oxigraph):
    graph = "http://example.org/replace-test"
    first = tiny_output({graph: "<http://x/a> <http://x/p> \"1\" .\n<http://x/b> <http://x/p> \"2\" .\n"})
    assert [(g, n) for g, n, _ in publish(first, oxigraph.url + "/store")] == [(graph, 2)]
    second = tiny_output({graph: "<http://x/c> <http://x/p> \"3\" .\n"})
    done = run_cli("publish", "--graph-store", oxigraph.url + "/store", "--output", str(second))
    assert done.returncode == 0, done.stderr
    assert graph in done.stdout
    assert oxigraph.count(graph) == 1


def test_publish_reports_an_unreachable_store(tmp_path):
    done = run_cli("publish", "--graph-store", f"http://127.0.0.1:{free_port()}/store",
                   "--output", str(protocol_output()))
    assert done.returncode == 2 and "error:" in done.stderr


@pytest.fixture(scope="module")
def fronts(oxigraph):
    """(embedded server, remote-mode server) over the same publication."""
    output = minato_output()
    publish(output, oxigraph.url + "/store")
    embedded, remote = LiveServer(output), LiveServer(output, sparql_endpoint=oxigraph.url + "/query")
    yield embedded, remote
    embedded.close()
    remote.close()


def _answer(server, query: str, accept: str = "application/sparql-results+json"):
    status, headers, body = server.request(path="/sparql?" + urllib.parse.urlencode({"query": query}),
                                           headers={"Accept": accept})
    assert status == 200, body
    return body


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_remote_mode_answers_the_examples_identically(fronts, example):
    embedded, remote = fronts
    local, far = (json.loads(_answer(s, example.query)) for s in fronts)
    assert local["head"] == far["head"]
    normalise = (lambda rows: rows) if "ORDER BY" in example.query else (lambda rows: sorted(map(json.dumps, rows)))
    assert normalise(local["results"]["bindings"]) == normalise(far["results"]["bindings"])
    assert local["results"]["bindings"], "an example must have an answer"


def test_remote_and_embedded_hold_the_same_graphs(fronts):
    """Both hold the datasets, the ontology, the catalog and VoID: counts per graph agree."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    local, far = (json.loads(_answer(s, query))["results"]["bindings"] for s in fronts)
    assert local == far
    graphs = [row["g"]["value"] for row in local]
    assert "https://w3id.org/zaisei/def" in graphs and any(g.endswith("/id/catalog") for g in graphs)
    assert any(g.endswith("/id/catalog/void") for g in graphs) and any(g.endswith("/id/minato-2021") for g in graphs)


def test_remote_mode_keeps_formats_and_rules(fronts):
    embedded, remote = fronts
    for accept in ("text/csv", "text/tab-separated-values", "application/sparql-results+xml"):
        query = examples()[0].query
        assert _answer(embedded, query, accept) == _answer(remote, query, accept)
    construct = "CONSTRUCT WHERE { ?s a <https://w3id.org/zaisei/def/Account> }"
    assert _answer(embedded, construct, "text/turtle") == _answer(remote, construct, "text/turtle")
    listener = Listener()
    for query in (f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * FROM <{listener.url}> WHERE {{ ?s ?p ?o }}"):
        assert remote.request(path="/sparql?" + urllib.parse.urlencode({"query": query}))[0] == 400
    assert listener.close() == 0
    status, _, body = remote.request(path="/sparql?query=ASK%20%7B")
    assert status == 400 and body


def test_remote_mode_cap_and_timeout(oxigraph):
    publish(protocol_output(), oxigraph.url + "/store")
    remote = LiveServer(protocol_output(), sparql_endpoint=oxigraph.url + "/query", query_timeout=1.0, max_results=2)
    try:
        status, _, body = remote.request(path="/sparql?query=" + urllib.parse.quote(
            "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }"))
        assert status == 400 and b"more than 2 rows" in body
        endless = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
            f"VALUES ?{v} {{ 1 2 3 4 5 6 7 8 9 10 }}" for v in "abcdefghij") + " }"
        started = time.monotonic()
        status, _, body = remote.request(path="/sparql?query=" + urllib.parse.quote(endless))
        assert status == 504 and time.monotonic() - started < 3
    finally:
        remote.close()


@pytest.fixture(scope="module")
def protocol_remote(oxigraph):
    publish(protocol_output(), oxigraph.url + "/store")
    live = LiveServer(protocol_output(), sparql_endpoint=oxigraph.url + "/query")
    yield live
    live.close()


@pytest.mark.parametrize("name, requests", TESTS, ids=[name for name, _ in TESTS])
def test_protocol_suite_in_remote_mode(protocol_remote, name, requests):
    """The W3C protocol suite again, answered by Oxigraph's server behind our front end."""
    if name.startswith("update_"):
        status, _, body = _send(protocol_remote, requests[0])
        assert 400 <= status < 500 and b"read-only" in body
        return
    for request in requests:
        _check(protocol_remote, request, request["status"], request["boolean"])
    assert KASEI
