"""The answer cache on a real server (`zaisei serve`): ETags on GET answers, 304 for a tag the
client holds, hits counted, bounded in bytes, and a new build's answers never taken for old ones."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from support.outputs import tiny_output
from support.servers import Served

GRAPH = "http://example.org/graph/a"
ROWS = "".join(f'<http://example.org/s{n}> <http://example.org/p> "value {n} {"x" * 200}" .\n' for n in range(300))
JSON = "application/sparql-results+json"
QUERY = "SELECT ?o WHERE { <http://example.org/s1> ?p ?o }"


def _get(server: Served, query: str, accept: str = JSON, **headers) -> tuple[int, object, bytes]:
    url = server.url + "/sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": accept, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def _cache_status(server: Served) -> dict:
    with urllib.request.urlopen(server.url + "/healthz/engine", timeout=10) as answer:
        return json.loads(answer.read())["answer_cache"]


@pytest.fixture(scope="module")
def server():
    served = Served(tiny_output({GRAPH: ROWS}), "--answer-cache-mb", "1")
    yield served
    served.stop()


def test_a_get_answer_has_an_etag_and_a_304_for_it(server):
    status, headers, body = _get(server, QUERY)
    assert status == 200 and b"value 1 " in body
    etag = headers["ETag"]
    assert etag.startswith('"') and etag == _get(server, QUERY)[1]["ETag"]
    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, again, body = _get(server, QUERY, **{"If-None-Match": held})
        assert (status, body, again["ETag"]) == (304, b"", etag)
        assert again["Access-Control-Allow-Origin"] == "*" and "Accept" in again["Vary"]
    assert _get(server, QUERY, **{"If-None-Match": '"something-else"'})[0] == 200


def test_the_tag_follows_the_normalised_request(server):
    """The negotiated format decides, not the header's spelling; the query text and gzip do too."""
    tag = _get(server, QUERY)[1]["ETag"]
    assert _get(server, QUERY, f"{JSON}, text/plain;q=0.1")[1]["ETag"] == tag
    assert _get(server, QUERY, "text/csv")[1]["ETag"] != tag
    assert _get(server, QUERY, **{"Accept-Encoding": "gzip"})[1]["ETag"] != tag
    assert _get(server, QUERY + " LIMIT 5")[1]["ETag"] != tag
    status, headers, _ = _get(server, QUERY, **{"If-None-Match": tag, "Accept": "text/csv"})
    assert status == 200 and headers["ETag"] != tag


def test_a_cached_answer_is_the_same_bytes_and_counted(server):
    """Kept the second time it is asked, answered from the cache from the third on."""
    query = "SELECT ?s WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s LIMIT 7"
    before = _cache_status(server)
    answers = [_get(server, query) for _ in range(3)]
    after = _cache_status(server)
    assert answers[0][2] == answers[1][2] == answers[2][2]
    assert answers[0][1]["ETag"] == answers[2][1]["ETag"]
    assert after["hits"] == before["hits"] + 1 and after["misses"] == before["misses"] + 2


def test_queries_asked_once_fill_nothing(server):
    """A different query every time (a crawler, a benchmark): memory stays as it was."""
    before = _cache_status(server)
    for n in range(30):
        assert _get(server, f"SELECT ?o WHERE {{ <http://example.org/s{n}> ?p ?o }} LIMIT 1")[0] == 200
    after = _cache_status(server)
    assert (after["entries"], after["bytes"]) == (before["entries"], before["bytes"])


def test_refused_and_unstable_queries_get_no_tag(server):
    refused = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    status, headers, _ = _get(server, refused, **{"If-None-Match": "*"})
    assert status >= 400 and "ETag" not in headers
    status, headers, _ = _get(server, "SELECT (RAND() AS ?r) WHERE {}", **{"If-None-Match": "*"})
    assert status == 200 and "ETag" not in headers


def test_post_answers_are_untagged(server):
    request = urllib.request.Request(server.url + "/sparql", data=QUERY.encode(), method="POST",
                                     headers={"Content-Type": "application/sparql-query", "Accept": JSON})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200 and "ETag" not in answer.headers


def test_the_cache_stays_within_its_bytes(server):
    """Answers of ~40 KiB each into a 1 MiB cache: older ones go, the total never passes it."""
    for offset in range(40):
        query = f"SELECT ?o WHERE {{ ?s ?p ?o }} ORDER BY ?o LIMIT 150 OFFSET {offset}"
        assert _get(server, query)[0] == _get(server, query)[0] == 200   # kept the second time
    status = _cache_status(server)
    assert status["max_bytes"] == 2**20 and 0 < status["bytes"] <= 2**20
    assert status["entries"] < 40


def test_a_new_build_answers_under_new_tags(server):
    """Another publication (a new build): the tag a client holds from the old one is not honoured."""
    old = _get(server, QUERY)[1]["ETag"]
    rebuilt = Served(tiny_output({GRAPH: ROWS + '<http://example.org/s1> <http://example.org/p> "new" .\n'}))
    try:
        status, headers, body = _get(rebuilt, QUERY, **{"If-None-Match": old})
    finally:
        rebuilt.stop()
    assert status == 200 and b'"new"' in body
    assert headers["ETag"] != old and headers["ETag"].split("-")[0] != old.split("-")[0]
