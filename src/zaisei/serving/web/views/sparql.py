"""/sparql: the SPARQL 1.1 Protocol endpoint, its Service Description and its query page.

This module speaks HTTP only: it reads the protocol request, refuses what is
unsafe (query.inspect: updates, SERVICE, FROM naming graphs not ours),
negotiates the format and hands a Job to the engine (zaisei.serving.engine), which runs
it in a worker process (or on a remote engine) under the timeout and the caps.

The plainest requests (a query and no HTML in the Accept header) are answered by
web/fastpath.py, in front of Flask, with the same functions and the same bytes;
everything else, and every error, goes through Flask.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from werkzeug.utils import get_content_type

from zaisei.graph.iris import path
from zaisei.rdf.formats import compressible, media_type
from zaisei.rdf.namespaces import PREFIXES, RDF_TYPE, iri, prologue
from zaisei.rdf.render import render
from zaisei.rdf.terms import label_triple, named_node, triple
from zaisei.serving.engine import Job
from zaisei.serving.examples import examples
from zaisei.serving.query import QueryError, inspect
from zaisei.serving.web import answers
from zaisei.serving.web.answers import CORS_HEADERS
from zaisei.serving.web.clients import client_of
from zaisei.serving.web.context import endpoint_url, settings
from zaisei.serving.web.encoding import MAXIMUM, MINIMUM, compress, wants_gzip
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import HTML, RDF_FORMATS, choose
from zaisei.serving.web.present import language
from zaisei.serving.web.sparql_formats import MEDIA, RESULT_FORMATS, formats, results_accept

blueprint = Blueprint("sparql", __name__)


UPDATE_PARAMETERS = ("update", "using-graph-uri", "using-named-graph-uri")
READ_ONLY = "this SPARQL endpoint is read-only: SPARQL Update requests are refused"
SD, VOID = PREFIXES["sd"], PREFIXES["void"]
# Content-Type as werkzeug writes it (charset on text types), per format.
CONTENT_TYPES = {name: get_content_type(media, "utf-8") for name, media in MEDIA.items()}
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class ProtocolError(QueryError):
    """A request the SPARQL Protocol does not allow (wrong method, media type, parameters)."""


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint():
    """Answer a query, or describe the service (RDF) / show the query page (HTML) when there is none."""
    try:
        query, params = operation(request, settings()["max_query_length"])
        if query is None:
            return _service_description()
        if _prefers_page():
            return _page(query)
        return _answer(query, params)
    except QueryError as exc:
        return error_response(exc.status, str(exc))


def operation(req: Request, limit: int) -> tuple[str | None, object]:
    """(query text or None, parameters) from GET, form POST or direct POST; ProtocolError otherwise."""
    params = req.args
    if req.method == "POST":
        media, charset = req.mimetype, req.mimetype_params.get("charset", "utf-8").lower()
        if media == "application/sparql-update":
            raise ProtocolError(READ_ONLY, status=403)
        if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise ProtocolError("POST a query as application/x-www-form-urlencoded (query=...) or as "
                                "application/sparql-query", status=415)
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError("queries must be encoded in UTF-8", status=415)
        if media == "application/sparql-query":
            return _direct_query(req, params, limit), params
        params = req.values
    if any(name in params for name in UPDATE_PARAMETERS):
        raise ProtocolError(READ_ONLY, status=403)
    queries = params.getlist("query")
    if len(queries) > 1:
        raise ProtocolError("exactly one query parameter is allowed")
    return (_sized(req, queries[0], limit) if queries else None), params


def _direct_query(req: Request, params, limit: int) -> str:
    if "query" in params:
        raise ProtocolError("a direct POST carries the query in the body, not in the query parameter")
    try:
        return _sized(req, req.get_data().decode("utf-8"), limit)
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the query is not valid UTF-8: {exc}") from None


def _sized(req: Request, query: str, limit: int) -> str:
    if len(query) > limit:
        raise ProtocolError(f"the query is {len(query)} characters long; this endpoint accepts at most {limit}",
                            status=414 if req.method == "GET" else 413)
    return query


def _answer(query: str, params) -> Response:
    status, body, headers = respond(current_app, request, query, params)
    response = Response(body, status, headers)
    if status == 304:   # no representation, so no media type of its own
        del response.headers["Content-Type"]
    return response


def respond(app: Flask, req: Request, query: str, params) -> tuple[int, bytes, list]:
    """(status, body, headers) of a query's answer: 200, or 304 for a GET naming its ETag; from the
    answer cache when it holds it (web/answers.py), else from the engine."""
    max_results, accept_encoding = app.config["ZAISEI"]["max_results"], req.headers.get("Accept-Encoding")
    return answers.respond(app, req, *_job(app, req, query, params),
                           lambda job: answered(app.extensions["zaisei.sparql"].run(job), accept_encoding, max_results))


def answered(answer, accept_encoding: str | None, max_results: int) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and every header of a 200 answer (the view and web/fastpath.py both send these):
    compressed by the worker, or here when small enough; CORS and nosniff as web._finish adds them."""
    body, encoding = answer.body, answer.encoding
    if encoding is None and MINIMUM <= len(body) <= MAXIMUM and compressible(MEDIA[answer.format]) \
            and wants_gzip(accept_encoding):
        body, encoding = compress(body), "gzip"
    headers = [("Content-Type", CONTENT_TYPES[answer.format]), ("Content-Length", str(len(body))),
               ("X-SPARQL-Max-Results", str(max_results)), ("Vary", "Accept, Accept-Encoding" if encoding else "Accept"),
               *CORS_HEADERS, ("X-Content-Type-Options", "nosniff")]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    return body, headers


def _job(app: Flask, req: Request, query: str, params) -> tuple[Job, str | None]:
    """The Job for a query the protocol let through: refused here if unsafe, formats negotiated; the
    deadline runs from now, so time spent waiting for a worker counts against the timeout. With
    the query's form (SELECT, ASK, CONSTRUCT, DESCRIBE; None when unrecognisable)."""
    config = app.config["ZAISEI"]
    deadline = time.monotonic() + config["query_timeout"]
    remote = bool(config["sparql_endpoint"])
    found = inspect(query, _own_graphs(app), strict=remote)
    results_format, rdf_format = formats(params, req.headers.get("Accept"))
    default, named = _graphs(params, "default-graph-uri"), _graphs(params, "named-graph-uri")
    dataset = (tuple(default), tuple(named)) if default or named else (None, None)
    # Compressed by the worker, inside the query's time; a remote engine's answer is compressed here.
    gzip_from = MINIMUM if not remote and wants_gzip(req.headers.get("Accept-Encoding")) else None
    job = Job(query, results_format, rdf_format, *dataset, union=not found.has_dataset,
              max_results=config["max_results"], base=endpoint_url(app), max_bytes=config["max_answer_mb"] * 2**20,
              gzip_from=gzip_from, client=client_of(req.environ, app.extensions["zaisei.proxies"]), deadline=deadline)
    return job, found.form


def _graphs(params, name: str) -> list[str]:
    """The graph IRIs of a protocol parameter; 400 for a value that is no absolute IRI."""
    values = params.getlist(name) if name in params else []
    for value in values:
        if named_node(value) is None:
            raise ProtocolError(f"{name}={value!r} is not an absolute IRI")
    return values


def _own_graphs(app: Flask) -> frozenset[str]:
    """The publication's graph names as a frozenset, built once (inspect's cache key; ~2,000 at 10M triples)."""
    graphs = app.extensions["zaisei"].graphs
    cached = app.extensions.get("zaisei.sparql.graphs")
    if cached is None or cached[0] is not graphs:
        cached = app.extensions["zaisei.sparql.graphs"] = (graphs, frozenset(graphs))
    return cached[1]


def _prefers_page() -> bool:
    """A browser (HTML preferred over any result format, none named in a parameter) gets the page."""
    accept = request.headers.get("Accept")
    if not accept or "html" not in accept or any(request.args.get(n) for n in ("format", "output", "results")):
        return False
    return choose(results_accept(accept), RESULT_FORMATS + RDF_FORMATS + (HTML,)) is HTML


def error_response(status: int, message: str) -> Response:
    """Errors as plain text for programs (what SPARQL clients show), as a page for browsers."""
    title = HTTP_STATUS_CODES.get(status, "Error")
    if _prefers_page():
        body, status, headers = render_error(status, title, message)
        response = Response(body, status, headers)
    else:
        response = Response(f"{status} {title}: {message}\n", status, mimetype=media_type("text"))
    if status in (429, 503):   # busy, not broken: say when to come back
        response.headers["Retry-After"] = "1" if status == 429 else "2"
    return response


@blueprint.after_request
def _cors(response: Response) -> Response:
    """Browsers elsewhere may query too (read-only data): answer their CORS preflight."""
    if request.path == "/sparql":
        for name, value in CORS_HEADERS:
            response.headers[name] = value
    return response


# --- the query page ----------------------------------------------------------------------


# --- the Service Description (SPARQL 1.1 Service Description, section 3) ------------------


def _page(query: str | None = None) -> Response:
    """YASGUI (vendored under static/yasgui/) with our prefixes and the example gallery."""
    lang, gallery = language(), examples()
    prefixes = {p: PREFIXES[p] for p in ("zs", "skos", "rdfs", "schema", "qb", "obeu-dimension", "oa", "dcterms",
                                          "xsd")}
    initial = query or (gallery[0].query if gallery else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n")
    html = render_template("sparql.html", lang=lang, path="/sparql", examples=gallery, prefixes=prefixes,
                           query=initial, config=settings(), base=current_app.extensions["zaisei"].base)
    response = Response(html, mimetype=HTML.media_type)
    # YASGUI's table plugin and tooltips set inline styles; scripts stay 'self' only.
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def _service_description() -> Response:
    fmt = choose(request.headers.get("Accept"), RDF_FORMATS + (HTML,))
    if fmt is None:
        return error_response(406, "the service description is available as " + ", ".join(f.media_type for f in RDF_FORMATS))
    if fmt is HTML:
        return _page()
    prefixes = {name: PREFIXES[name] for name in ("sd", "void", "rdf", "rdfs", "xsd")}
    response = Response(render(service_triples(endpoint_url(current_app)), fmt.name, prefixes), mimetype=fmt.media_type)
    response.vary.add("Accept")
    return response


def service_triples(endpoint_url: str) -> list:
    """sd:Service with its endpoint, language, formats, features and default dataset (VoID counts).

    Every node has an IRI (no blank nodes): the service is the IRI the build mints for it,
    the dataset and graphs are fragments of it.
    """
    pub, config = current_app.extensions["zaisei"], settings()
    service = pub.iri(path("service"))
    counts = _counts(pub)
    keys = {info["graph"]: key for key, info in pub.manifest.get("datasets", {}).items()}
    dataset, default = f"{service}#dataset", f"{service}#default-graph"
    triples = [triple(service, RDF_TYPE, SD + "Service"), triple(service, SD + "endpoint", endpoint_url),
               triple(service, SD + "supportedLanguage", SD + "SPARQL11Query"),
               triple(service, SD + "feature", SD + "UnionDefaultGraph"),
               triple(service, SD + "defaultEntailmentRegime", iri("entailment:Simple")),
               triple(service, SD + "defaultDataset", dataset), triple(dataset, RDF_TYPE, SD + "Dataset"),
               triple(dataset, SD + "defaultGraph", default), triple(default, RDF_TYPE, SD + "Graph"),
               triple(default, RDF_TYPE, VOID + "Dataset"),
               label_triple(service, PREFIXES["rdfs"] + "comment",
                            f"Read-only. A query may run {config['query_timeout']:g} s and return "
                            f"{config['max_results']} rows; SERVICE and graphs not listed here are refused.", "en")]
    triples += [triple(service, SD + "resultFormat", f.iri) for f in RESULT_FORMATS + RDF_FORMATS]
    triples += [triple(default, VOID + name, value) for name, value in counts["default"].items()]
    for index, graph in enumerate(pub.graphs):
        key = keys.get(graph, f"graph-{index + 1}")
        named, content = f"{service}#named-graph-{key}", f"{service}#graph-{key}"
        triples += [triple(dataset, SD + "namedGraph", named), triple(named, RDF_TYPE, SD + "NamedGraph"),
                    triple(named, SD + "name", graph), triple(named, SD + "graph", content),
                    triple(content, RDF_TYPE, SD + "Graph"), triple(content, RDF_TYPE, VOID + "Dataset"),
                    triple(content, VOID + "triples", counts["graphs"].get(graph, 0))]
    return triples


COUNTS = prologue("rdf") + """SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?distinctSubjects)
  (COUNT(DISTINCT ?o) AS ?distinctObjects) (COUNT(DISTINCT ?p) AS ?properties)
  (COUNT(DISTINCT ?class) AS ?classes)
WHERE { { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }
        BIND(IF(?p = rdf:type, ?o, ?unbound) AS ?class) }"""


GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _counts(pub) -> dict:
    """VoID counts of the union default graph and of each named graph, computed once per app."""
    cached = current_app.extensions.get("zaisei.sparql.counts")
    if cached is None:
        row = pub.select(COUNTS)[0]
        cached = {"default": {name: int(row[name].value) for name in
                              ("triples", "distinctSubjects", "distinctObjects", "properties", "classes")},
                  "graphs": {r["g"].value: int(r["n"].value) for r in pub.select(GRAPH_COUNTS)}}
        current_app.extensions["zaisei.sparql.counts"] = cached
    return cached
