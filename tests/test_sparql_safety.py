"""The endpoint is safe by default: read-only, never reaches out, stops runaway queries, caps
results and requests, reports syntax errors, and survives concurrent first queries."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse

import pytest

from support.outputs import KASEI, protocol_output
from support.servers import Listener, LiveServer

TEN = "VALUES ?{} {{ 1 2 3 4 5 6 7 8 9 10 }}"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(TEN.format(v) for v in "abcdefghij") + " }"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}


@pytest.fixture(scope="module")
def safety_server():
    live = LiveServer(protocol_output(), query_timeout=1.0, max_results=5, max_query_length=2000,
                      sparql_workers=2, query_memory_mb=256)
    yield live
    live.close()


def get(safety_server, query: str, **params):
    return safety_server.request(path="/sparql?" + urllib.parse.urlencode({"query": query, **params}))


@pytest.mark.parametrize("method, path, body, headers", [
    ("GET", "/sparql?update=CLEAR%20ALL", None, {}),
    ("POST", "/sparql", b"update=DROP%20ALL", FORM),
    ("POST", "/sparql", b"CLEAR ALL", {"Content-Type": "application/sparql-update"}),
    ("POST", "/sparql?using-graph-uri=http%3A%2F%2Fx%2F", b"query=ASK%7B%7D", FORM),
    ("POST", "/sparql", b"INSERT DATA { <http://x/s> <http://x/p> 1 }", DIRECT),
    ("GET", "/sparql?query=DELETE%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D", None, {}),
])
def test_updates_are_refused(safety_server, method, path, body, headers):
    status, _, answer = safety_server.request(method, path, body, headers)
    assert 400 <= status < 500 and b"read-only" in answer
    status, _, answer = get(safety_server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert json.loads(answer)["results"]["bindings"][0]["n"]["value"] == "3"


def test_nothing_is_ever_fetched(safety_server):
    """SERVICE, FROM, FROM NAMED (even escaped, even file:) are refused before running; protocol
    dataset IRIs we do not hold are empty graphs; a local listener sees no connection at all."""
    listener = Listener()
    refused = [f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
               f"ASK {{ SERVICE SILENT <{listener.url}> {{ }} }}",
               f"SELECT * WHERE {{ \\u0053ERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
               f"SELECT * FROM <{listener.url}> WHERE {{ ?s ?p ?o }}",
               f"SELECT * FROM NAMED <{listener.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
               "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
               f"LOAD <{listener.url}>"]
    for query in refused:
        status, _, body = get(safety_server, query)
        assert status == 400, (query, body)
        status, _, body = safety_server.request("POST", "/sparql", query.encode(), DIRECT)
        assert status == 400 and b"root:" not in body
    for params in ({"default-graph-uri": listener.url}, {"named-graph-uri": listener.url},
                   {"default-graph-uri": "file:///etc/passwd"}):
        status, _, body = get(safety_server, "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", **params)
        assert status == 200 and json.loads(body)["results"]["bindings"] == []
    status, _, body = get(safety_server, f"DESCRIBE <{listener.url}>")
    assert status == 200
    assert listener.close() == 0


def test_timeout_really_stops_the_query(safety_server):
    """A query past the timeout gets 504 at the deadline, its worker process is gone, and the
    other worker kept answering meanwhile."""
    answers, started = [], time.monotonic()

    def other_client():
        while time.monotonic() - started < 1.0:
            answers.append(get(safety_server, "ASK { ?s ?p ?o }")[0])

    companion = threading.Thread(target=other_client)
    companion.start()
    status, headers, body = get(safety_server, ENDLESS)
    elapsed = time.monotonic() - started
    companion.join()
    assert status == 504 and b"stopped after 1 s" in body, body
    assert 1.0 <= elapsed < 2.5
    assert answers and set(answers) == {200}
    killed = safety_server.engine.killed[-1]
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{killed}") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(f"/proc/{killed}"), "the timed-out worker must be gone, not only abandoned"
    assert get(safety_server, "ASK {}")[0] == 200


def test_result_cap_is_reported_never_silent(safety_server):
    many = "SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 } }"
    status, _, body = get(safety_server, many)
    assert status == 400 and b"more than 5 rows" in body and b"LIMIT 5" in body
    status, headers, body = get(safety_server, many + " LIMIT 5")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 5
    assert headers["X-SPARQL-Max-Results"] == "5"
    status, _, body = get(safety_server, "CONSTRUCT { ?n ?n ?n } WHERE { VALUES ?n { <a:1> <a:2> <a:3> <a:4> <a:5> <a:6> } }")
    assert status == 400 and b"more than 5 rows" in body


def test_query_and_body_size_caps(safety_server):
    long = "ASK {}" + " " * 2000
    assert get(safety_server, long)[0] == 414
    assert safety_server.request("POST", "/sparql", long.encode(), DIRECT)[0] == 413
    assert safety_server.request("POST", "/sparql", urllib.parse.urlencode({"query": long}).encode(), FORM)[0] == 413
    assert safety_server.request("POST", "/sparql", b"x" * 20000, DIRECT)[0] == 413   # Flask's MAX_CONTENT_LENGTH


def test_syntax_error_has_message_and_position(safety_server):
    status, headers, body = get(safety_server, "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }")
    assert status == 400 and headers["Content-Type"].startswith("text/plain")
    assert b"SPARQL syntax error at line 3, column" in body


def test_protocol_misuse_is_4xx(safety_server):
    assert safety_server.request("PUT", "/sparql?query=ASK%7B%7D")[0] == 405
    assert safety_server.request("POST", "/sparql", b"ASK {}", {"Content-Type": "text/plain"})[0] == 415
    assert safety_server.request("POST", "/sparql", b"\xff\xfeASK {}", DIRECT)[0] == 400
    assert safety_server.request("POST", "/sparql", "ASK {}".encode("utf-16"),
                          {"Content-Type": "application/sparql-query; charset=UTF-16"})[0] == 415
    assert safety_server.request(path="/sparql?query=ASK%7B%7D&query=ASK%7B%7D")[0] == 400
    assert get(safety_server, "ASK {}", format="json")[0] == 200
    status, _, _ = safety_server.request(path="/sparql?query=SELECT%20*%7B%7D", headers={"Accept": "image/png"})
    assert status == 406


def test_memory_hog_is_stopped(safety_server):
    """A query that needs more memory than a worker may have is stopped with 503, not the server."""
    grow = "".join(f'BIND(CONCAT({", ".join([f"?v{i}"] * 16)}) AS ?v{i + 1}) ' for i in range(7))
    status, _, body = get(safety_server, f'SELECT (STRLEN(?v7) AS ?n) WHERE {{ BIND("{"x" * 64}" AS ?v0) {grow}}}')
    assert status in (503, 504), body
    assert get(safety_server, "ASK {}")[0] == 200


def test_concurrent_first_queries_on_a_fresh_server():
    """32 clients at once on a server that has answered nothing yet: all right, none lost."""
    live = LiveServer(protocol_output(), sparql_workers=2)
    barrier, results = threading.Barrier(32), []
    query = f"ASK {{ GRAPH <{KASEI}data2.rdf> {{ ?s a ?type }} }}"

    def client():
        barrier.wait()
        status, _, body = get(live, query)
        results.append((status, json.loads(body).get("boolean") if status == 200 else body))

    threads = [threading.Thread(target=client) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    live.close()
    assert results == [(200, True)] * 32
