"""Fuzzing the HTTP routes over real HTTP (issue 8, item 5), with hypothesis.

test_hostile_input.py fuzzes paths and three headers through Flask's test client; here the
requests cross a socket to `zaisei serve --query-timeout 2` (waitress in front, as deployed):
generated methods, paths (route words, traversal tokens, arbitrary percent-encoded text and
bytes), query parameters (the ones the routes read, with generated values), the headers the
routes read, and bodies. Thousands of requests in all, bounded by max_examples and by the
query timeout. No 5xx, except the documented answers of the SPARQL endpoint: 503 (overloaded,
a worker out of memory) and 504 (the query timeout). No redirect leaves the site, and the
server logs no unexpected error.
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from support.servers import Served, get, raw

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

DOCUMENTED = {503, 504}   # /sparql only: overloaded / out of memory, and the query timeout
WORDS = ["id", "doc", "download", "source", "datasets", "def", "catalog", "sparql", "static", "yasgui", ".well-known",
         "void", "minato-2021", "priority", "pillar-1", "pillar-2", "account", "general", "figure", "nhi", "2021",
         "budget", "document.txt", "figures.csv", "all.nq.gz", "ontology", "zaisei.ttl", "amount", "Account",
         "style.css", "healthz", "sitemap.xml", "robots.txt", "..", ".", "%2e%2e", "%2f", "%00", "%ff", "%c0%ae",
         "%252e", "~", "a.ttl", "x.jsonld", ".nt", ".rdf", ".html", "index.html", "catalog.ttl", ""]
MEDIA = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
         "application/json", "application/xml", "text/csv", "text/tab-separated-values", "text/plain", "*/*",
         "text/*", "application/sparql-results+json", "application/sparql-results+xml", "application/sparql-query",
         "application/x-www-form-urlencoded", "application/sparql-update", "image/png", "multipart/form-data"]
SPARQL = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "?s", "?p", "?o", "*", ".", ";",
          "FILTER", "OPTIONAL", "UNION", "GRAPH", "LIMIT", "OFFSET", "ORDER BY", "GROUP BY", "COUNT(*)", "AS", "1",
          "\"x\"@ja", "<https://w3id.org/zaisei/def/amount>", "a", "BIND", "VALUES", "SERVICE", "FROM", "LOAD",
          "INSERT", "DATA", "\\u0053ERVICE", "#", "\n", "'", "REGEX", "STR", "SUM(?o)", "DISTINCT", "zs:amount",
          "PREFIX zs: <https://w3id.org/zaisei/def/>", "[]", "()", "/", "|", "^", "+", "?"]
PARAMS = ["query", "page", "lang", "format", "output", "results", "default-graph-uri", "named-graph-uri", "update",
          "using-graph-uri", "graph", "default", "x", ""]

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
byte_escapes = st.binary(max_size=12).map(lambda b: "".join(f"%{c:02x}" for c in b))
segment = st.one_of(st.sampled_from(WORDS), text.map(lambda t: urllib.parse.quote(t, safe="")), byte_escapes)
paths = st.lists(segment, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
sparql = st.lists(st.sampled_from(SPARQL), max_size=25).map(" ".join)
value = st.one_of(text, sparql, byte_escapes, st.integers(-10, 10**12).map(str))
queries = st.lists(st.tuples(st.sampled_from(PARAMS), value), max_size=4).map(
    lambda pairs: urllib.parse.urlencode(pairs, safe="%"))
accept = st.one_of(st.lists(st.tuples(st.sampled_from(MEDIA), st.sampled_from(["", ";q=0", ";q=0.5", ";q=1", ";q=x",
                                                                               ";charset=utf-8", ";level=1"])),
                            max_size=4).map(lambda items: ", ".join(m + q for m, q in items)),
                   st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60))
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
headers = st.fixed_dictionaries({}, optional={
    "Accept": accept, "Accept-Language": st.one_of(st.sampled_from(["ja", "en", "en;q=0.1, ja", "*", "fr"]),
                                                   header_text),
    "Accept-Encoding": st.sampled_from(["gzip", "identity", "gzip;q=0", "br, gzip", "*"]),
    "If-None-Match": st.one_of(st.just("*"), header_text), "If-Modified-Since": header_text,
    "Range": st.one_of(st.from_regex(r"bytes=[0-9]{0,6}-[0-9]{0,6}(,[0-9]{0,3}-[0-9]{0,3}){0,3}", fullmatch=True), header_text),
    "Content-Type": st.one_of(st.sampled_from(MEDIA), header_text), "Origin": header_text,
})
bodies = st.one_of(st.none(), st.binary(max_size=300), sparql.map(str.encode),
                   st.tuples(st.just("query="), sparql).map(lambda t: (t[0] + urllib.parse.quote(t[1])).encode()))
methods = st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])


@pytest.fixture(scope="module")
def fuzz_server(published):
    served = Served(published, "--query-timeout", "2")
    yield served
    served.stop()
    assert "unexpected error" not in served.output_text() and "Traceback" not in served.output_text()


class Client:
    """One keep-alive connection, reopened after the server closes it."""

    def __init__(self, port: int):
        self.port, self.connection = port, None

    def send(self, method: str, target: str, headers: dict, body: bytes | None) -> http.client.HTTPResponse:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.putrequest(method, target, skip_accept_encoding=True)
                for name, content in headers.items():
                    self.connection.putheader(name, content.encode("latin-1"))
                if body is not None:
                    self.connection.putheader("Content-Length", str(len(body)))
                self.connection.endheaders(body)
                response = self.connection.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return response
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
            except BaseException:
                self.close()   # never leave a half-sent request on the connection
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@pytest.fixture(scope="module")
def client(fuzz_server):
    made = Client(fuzz_server.port)
    yield made
    made.close()


def _check(path: str, status: int, location: str | None, transfer_coding: bool = False) -> None:
    if path.startswith("/sparql") and status in DOCUMENTED:
        return
    if transfer_coding and status == 501:   # waitress: a Transfer-Encoding it does not implement (RFC 9112 6.1)
        return
    assert status < 500, (path, status)
    if location:
        parts = urllib.parse.urlsplit(location)
        assert parts.hostname in (None, "127.0.0.1") and not location.startswith("//"), (path, location)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(method=methods, path=paths, query=queries, headers=headers, body=bodies)
def test_generated_requests_over_http_never_fail_on_the_server(client, method, path, query, headers, body):
    target = path + ("?" + query if query else "")
    response = client.send(method, target, headers, body if method not in ("GET", "HEAD") else None)
    _check(path, response.status, response.getheader("Location"))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(path=st.lists(st.one_of(st.sampled_from(WORDS), st.binary(max_size=8).map(lambda b: b.decode("latin-1"))),
                     min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts)),
       lines=st.lists(st.tuples(st.sampled_from(["Accept", "Range", "If-None-Match", "Host", "Content-Length",
                                                 "Transfer-Encoding", "Accept-Language", "X", "Content-Type"]),
                                st.binary(max_size=30).map(lambda b: b.decode("latin-1"))), max_size=4),
       body=st.binary(max_size=64))
def test_generated_raw_requests_never_fail_on_the_server(fuzz_server, path, lines, body):
    """Bytes HTTP libraries refuse to send (CR, LF, NUL, 8-bit) in the request line and headers."""
    header_lines = [f"{name}: {content}" for name, content in lines]
    request = get(path.replace(" ", "%20"), *header_lines, method="POST" if body else "GET", body=body)
    answer = raw(fuzz_server.port, request, timeout=30)
    if answer.status is not None:
        _check(path, answer.status, answer.headers.get("location"),
               transfer_coding=any(name == "Transfer-Encoding" for name, _ in lines))


def test_the_server_is_still_well_after_the_fuzzing(fuzz_server):
    assert raw(fuzz_server.port, get("/healthz")).status == 200
    assert raw(fuzz_server.port, get("/sparql?query=ASK%7B%7D")).status == 200
