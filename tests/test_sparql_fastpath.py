"""The fast path (web/fastpath.FastPath) answers exactly what Flask answers, and the inspection
cache and pre-check of query.inspect refuse exactly what the full tokenizer refuses."""

from __future__ import annotations

import io
import json
import random
import urllib.parse

import pytest
from werkzeug.test import EnvironBuilder

from support.outputs import tiny_output
from zaisei.serving.engine import QueryTimeout
from zaisei.serving.safety import check_nesting, keyword
from zaisei.serving.query import FORMS, UPDATE_KEYWORDS, Inspection, QueryRefused, inspect, load_output, tokens, unescape_codepoints
from zaisei.rdf.results import RESULT_FORMATS, solutions_json
from zaisei.serving.web import create_app
from zaisei.serving.web.fastpath import FastPath
from zaisei.serving.web.sparql_formats import COMMON_ACCEPT

GRAPH = "http://example.org/graph/a"
DATA = "".join(f'<http://example.org/s{n}> <http://example.org/p> "値 {n}"@ja .\n'
               f'<http://example.org/s{n}> <http://example.org/q> <http://example.org/o{n % 3}> .\n'
               for n in range(40))
QUERIES = [
    "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s LIMIT 2",
    "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s ?o",                       # over 1 KiB: gzip applies
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3",
    "DESCRIBE <http://example.org/s1>",
    "SELECT ?x WHERE { BIND(<relative> AS ?x) }",                            # the base IRI: this endpoint
    f"SELECT ?s FROM <{GRAPH}> WHERE {{ ?s ?p ?o }} LIMIT 1",
    "SELECT * FROM <http://elsewhere/> { ?s ?p ?o }",                         # refused
    r"SELECT * { \u0053ERVICE <http://x/> { ?s ?p ?o } }",                    # refused
    "INSERT DATA { <a:a> <a:b> <a:c> }",                                      # refused
    "SELECT * WHERE { ?s ?p }",                                               # syntax error from the engine
    "SELECT * { " + "{" * 250 + "}" * 250 + " }",                            # too deeply nested
    "SELECT * { ?s ?p ?o } #" + "x" * 300,                                   # too long (max_query_length)
    "SELECT * { ?s ?p ?o }",                                                  # more rows than max_results
    "",
]


@pytest.fixture(scope="module")
def app():
    app = create_app(tiny_output({GRAPH: DATA}), max_query_length=300, max_results=50)
    yield app
    app.extensions["zaisei.sparql"].close()


def _environ(method: str, query: str, accept: str | None, extra: dict | None = None) -> dict:
    headers = {"Host": "example.org:8080", **({"Accept": accept} if accept else {}), **(extra or {})}
    if method == "GET":
        builder = EnvironBuilder(path="/sparql", query_string=urllib.parse.urlencode({"query": query}),
                                 headers=headers)
    elif method == "FORM":
        builder = EnvironBuilder(path="/sparql", method="POST", data={"query": query}, headers=headers)
    else:
        builder = EnvironBuilder(path="/sparql", method="POST", data=query.encode(),
                                 content_type="application/sparql-query", headers=headers)
    return builder.get_environ()


def _call(wsgi, environ: dict) -> tuple[str, list, bytes]:
    environ = dict(environ, **{"wsgi.input": io.BytesIO(environ["wsgi.input"].getvalue())})
    started = []
    body = b"".join(wsgi(environ, lambda status, headers, exc_info=None: started.append((status, headers))))
    return started[0][0], list(started[0][1]), body


def _both(app, environ: dict):
    """(fast path's answer, Flask's answer) to the same request."""
    return _call(app.wsgi_app, environ), _call(app.wsgi_app.flask_wsgi, environ)


ACCEPTS = [*sorted(COMMON_ACCEPT), None, "*/*", "application/json", "text/plain", "image/png",
           "application/sparql-results+json;q=0.5, text/csv", "application/xml, */*;q=0.1"]
CASES = [(method, query, accept, extra) for method in ("GET", "POST") for query in QUERIES
         for accept in ACCEPTS for extra in ({}, {"Accept-Encoding": "gzip, deflate"})]


@pytest.mark.parametrize("method, query, accept, extra", CASES)
def test_the_fast_path_answers_what_flask_answers(app, method, query, accept, extra):
    fast, flask = _both(app, _environ(method, query, accept, extra))
    assert fast == flask


@pytest.mark.parametrize("method, accept, extra", [
    ("GET", "text/html", {}), ("POST", "text/html,application/xhtml+xml,*/*;q=0.8", {}), ("FORM", "text/csv", {}),
    ("GET", "application/sparql-results+json", {"Content-Length": "999999999"}),
    ("POST", "application/sparql-results+json", {"Transfer-Encoding": "chunked"}),
])
def test_other_requests_are_left_to_flask(app, method, accept, extra):
    environ = _environ(method, QUERIES[0], accept, extra)
    if "Content-Length" in extra:   # as a server sets it (EnvironBuilder keeps the body's length)
        environ["CONTENT_LENGTH"] = extra["Content-Length"]
    assert not app.wsgi_app._plain(environ)
    fast, flask = _both(app, environ)
    assert fast == flask


def test_plain_requests_take_the_fast_path(app):
    for method in ("GET", "POST"):
        for accept in ACCEPTS:
            assert app.wsgi_app._plain(_environ(method, QUERIES[0], accept))
    environ = _environ("GET", QUERIES[0], "text/csv")
    environ["QUERY_STRING"] += "&format=json"
    assert not app.wsgi_app._plain(environ)


class _FailingEngine:
    def __init__(self, error: Exception):
        self.error = error

    def run(self, job):
        raise self.error


@pytest.mark.parametrize("error", [QueryTimeout("stopped after 10 s", status=504), RuntimeError("a bug")])
def test_an_engine_failure_is_rendered_by_flask(app, error):
    engine = app.extensions["zaisei.sparql"]
    app.extensions["zaisei.sparql"] = _FailingEngine(error)
    try:
        fast, flask = _both(app, _environ("GET", QUERIES[0], "application/sparql-results+json"))
    finally:
        app.extensions["zaisei.sparql"] = engine
    assert fast == flask
    assert fast[0].startswith("504" if isinstance(error, QueryTimeout) else "500")


def test_the_hooks_the_fast_path_reproduces_are_the_only_ones(app):
    """A new before/after_request hook must be reproduced by FastPath (or make it step aside)."""
    assert isinstance(app.wsgi_app, FastPath)
    assert {name: [f.__name__ for f in funcs] for name, funcs in app.before_request_funcs.items()} == \
        {None: ["_refuse_large_bodies"]}
    assert {name: [f.__name__ for f in funcs] for name, funcs in app.after_request_funcs.items()} == \
        {None: ["_finish"], "sparql": ["_cors"]}


# --- query.inspect: the cache and the pre-check change no answer ------------------------------


def _reference(text: str, own_graphs: set[str]) -> Inspection:
    """inspect() without the cache and the pre-check: every token looked at, the nesting counted."""
    toks = tokens(unescape_codepoints(text))
    check_nesting([(t.kind, t.text) for t in toks])
    form, has_dataset = None, False
    for index, token in enumerate(toks):
        word = keyword(token.kind, token.text)
        if word is None:
            continue
        if word in UPDATE_KEYWORDS or word == "SERVICE":
            raise QueryRefused(word)
        if word == "FROM":
            following = toks[index + 1: index + 3] if token.kind == "word" else []
            target = next((t for t in following if t.kind == "iri"), None)
            if target is None or (following[0].kind != "iri" and following[0].text.upper() != "NAMED") \
                    or target.text[1:-1] not in own_graphs:
                raise QueryRefused(word)
            has_dataset = True
        elif form is None and word in FORMS:
            form = word
    return Inspection(form, has_dataset)


PIECES = ["SELECT", "select", "ASK", "CONSTRUCT", "DESCRIBE", "*", "?s", "$o", "{", "}", "(", ")", ".", " ", "\n",
          "WHERE", "FROM", "from", "NAMED", f"<{GRAPH}>", "<http://elsewhere/>", "SERVICE", "Service", "INSERT",
          "insert", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "wiTh", "address",
          "CREATED", "dcterms:created", "ex:INSERT", "?FROM", '"SERVICE"', "'LOAD'", '"""DROP\n"""', "# FROM <x>\n",
          r"\u0053ERVICE", r"\u0046ROM", r"\U00000041SK", "INſERT", "ſERVICE", "SERVİCE", "ıNSERT", "COPY(",
          "REPLACE(", "ß", "K", "ﬀ", "<a b>", "\\", "'", '"']


def test_inspect_refuses_and_answers_as_the_full_tokenizer_does():
    rng = random.Random(7)
    graphs = {GRAPH}
    for _ in range(4000):
        query = "".join(rng.choice(PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(1, 12)))
        try:
            expected = _reference(query, graphs)
        except QueryRefused:
            expected = QueryRefused
        for _ in range(2):   # the second time from the cache
            try:
                found = inspect(query, graphs)
            except QueryRefused:
                found = QueryRefused
            assert found == expected, query


def test_refusals_are_not_cached_away():
    for _ in range(3):
        with pytest.raises(QueryRefused):
            inspect("SELECT * { SERVICE <http://x/> { } }", frozenset())
    assert inspect("SELECT * FROM <http://g/> { }", {"http://g/"}) == Inspection("SELECT", True)
    with pytest.raises(QueryRefused):
        inspect("SELECT * FROM <http://g/> { }", {"http://other/"})


# --- the workers' SPARQL JSON: what json.dumps of the results' dicts would write ------------------

ODD = ('<http://example.org/s> <http://example.org/p> '
       '"日本語 \\"quoted\\" back\\\\slash \\t\\n\\r \\u0001 \\u2028 😀"@ja .\n'
       '<http://example.org/s> <http://example.org/p> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
       '<http://example.org/s> <http://example.org/p> "plain" .\n'
       '<http://example.org/s> <http://example.org/p> "typed"^^<http://example.org/type> .\n'
       '_:b1 <http://example.org/p> <http://example.org/o?x=1&y=\\u00e9> .\n'
       '<http://example.org/s> <http://example.org/q> "x"@en-GB .\n')


@pytest.mark.parametrize("query", [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    "SELECT ?s ?missing ?o WHERE { ?s ?p ?o OPTIONAL { ?s <http://nowhere/> ?missing } } ORDER BY ?o",
    "SELECT * WHERE { }", "SELECT ?x WHERE { FILTER(false) }",
    "SELECT ?t WHERE { ?s ?p ?o BIND(<<( ?s ?p ?o )>> AS ?t) } ORDER BY ?o",
    "SELECT (COUNT(*) AS ?n) (\"ü\\\"\" AS ?l) WHERE { ?s ?p ?o }",
    "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 5",
])
@pytest.mark.parametrize("limit", [0, 2, 10000])
def test_the_workers_json_is_json_dumps_of_the_results(odd_store, query, limit):
    """The text writer gives the bytes json.dumps gives (ensure_ascii=False, no spaces) for what
    pyoxigraph's own JSON serialiser says, row for row, up to limit + 1 rows."""
    ours, rows = solutions_json(odd_store.query(query, use_default_graph_as_union=True), limit)
    theirs = json.loads(odd_store.query(query, use_default_graph_as_union=True).serialize(format=RESULT_FORMATS["json"]))
    theirs["results"]["bindings"] = theirs["results"]["bindings"][:limit + 1]
    assert ours == json.dumps(theirs, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert rows == len(theirs["results"]["bindings"])


@pytest.fixture(scope="module")
def odd_store():
    return load_output(tiny_output({GRAPH: ODD}))[0]
