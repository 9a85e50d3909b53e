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

import os
import time

from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from zaisei.serving.engine import Job, LocalEngine, RemoteEngine
from zaisei.serving.query import QueryError, examples, inspect
from zaisei.rdf.render import render
from zaisei.rdf.formats import media_type, of_kind
from zaisei.rdf.namespaces import PREFIXES, RDF_TYPE, iri, prologue
from zaisei.rdf.terms import label_triple, named_node, triple
from zaisei.serving.web.clients import client_of, trusted_proxies
from zaisei.serving.web.encoding import MINIMUM, wants_gzip
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import HTML, RDF_FORMATS, Format, choose
from zaisei.serving.web.present import language

blueprint = Blueprint("sparql", __name__)

RESULT_FORMATS = of_kind("results")   # json, xml, csv, tsv: the order of preference
MEDIA = {f.name: f.media_type for f in of_kind("results", "graph", "dataset")}
# Generic media types mean SPARQL results here, not JSON-LD / RDF/XML as for documents.
RESULT_ALIASES = {alias: f.media_type for f in RESULT_FORMATS for alias in f.aliases}
# Clients that only ever ask for SPARQL results get the same syntax family for a graph.
_GRAPH_FOR = {"json": "jsonld", "xml": "rdfxml"}


def _pair(fmt) -> tuple[str | None, str | None]:
    """(results format, RDF format) a format asks for."""
    return (fmt.name, _GRAPH_FOR.get(fmt.name)) if fmt.kind == "results" else (None, fmt.name)


# format= / output= / results= values (SPARQLWrapper sends all three): name -> (results format, RDF format).
PARAMETER_FORMATS = {
    **{value: _pair(f) for f in RESULT_FORMATS + RDF_FORMATS for value in f.parameters},
    **{f.media_type: (f.name, None) for f in RESULT_FORMATS}, **{f.media_type: (None, f.name) for f in RDF_FORMATS},
    **{alias: (f.name, None) for f in RESULT_FORMATS for alias in f.aliases},
}
UPDATE_PARAMETERS = ("update", "using-graph-uri", "using-named-graph-uri")
READ_ONLY = "this SPARQL endpoint is read-only: SPARQL Update requests are refused"
SD, VOID = PREFIXES["sd"], PREFIXES["void"]
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type, Accept"))
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class ProtocolError(QueryError):
    """A request the SPARQL Protocol does not allow (wrong method, media type, parameters)."""


@blueprint.record_once
def _start_engine(state) -> None:
    """One engine per app: a pool of workers over output/, or a remote engine if configured."""
    app, config = state.app, state.app.config["ZAISEI"]
    publication = app.extensions["zaisei"]
    workers = config["sparql_workers"] or min(4, max(2, os.cpu_count() or 2))
    limits = {"per_client": config["client_queries"] or max(1, workers // 2), "queue_size": config["sparql_queue"]}
    if config["sparql_endpoint"]:
        engine = RemoteEngine(config["sparql_endpoint"], publication.graphs, timeout=config["query_timeout"],
                              slots=workers, **limits)
    else:
        engine = LocalEngine(publication.output, size=workers, timeout=config["query_timeout"],
                             memory_mb=config["query_memory_mb"], snapshot=publication.snapshot,
                             in_memory=config["sparql_in_memory"], store=publication.store, **limits)
    app.extensions["zaisei.sparql"] = engine
    app.extensions["zaisei.proxies"] = trusted_proxies(config["trusted_proxies"])


def engine():
    return current_app.extensions["zaisei.sparql"]


def settings() -> dict:
    return current_app.config["ZAISEI"]


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint():
    """Answer a query, or describe the service (RDF) / show the query page (HTML) when there is none."""
    try:
        query, params = _operation(request, settings()["max_query_length"])
        if query is None:
            return _service_description()
        if _prefers_page():
            return _page(query)
        return _answer(query, params)
    except QueryError as exc:
        return _error(exc.status, str(exc))


def _operation(req: Request, limit: int) -> tuple[str | None, object]:
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
    answer = run(current_app, request, query, params)
    response = Response(answer.body, mimetype=MEDIA[answer.format])
    response.headers["X-SPARQL-Max-Results"] = str(settings()["max_results"])
    response.headers["Vary"] = "Accept, Accept-Encoding" if answer.encoding else "Accept"
    if answer.encoding:   # compressed by the worker (the hooks leave it as it is)
        response.headers["Content-Encoding"] = answer.encoding
    return response


def run(app: Flask, req: Request, query: str, params):
    """Check, negotiate and answer a query for the client the request comes from; the deadline
    runs from now, so time spent waiting for a worker counts against the timeout."""
    return app.extensions["zaisei.sparql"].run(_job(app, req, query, params))


def _job(app: Flask, req: Request, query: str, params) -> Job:
    """The Job for a query the protocol let through: refused here if unsafe, formats negotiated."""
    config = app.config["ZAISEI"]
    deadline = time.monotonic() + config["query_timeout"]
    remote = bool(config["sparql_endpoint"])
    found = inspect(query, _own_graphs(app), strict=remote)
    results_format, rdf_format = _formats(params, req.headers.get("Accept"))
    default, named = _graphs(params, "default-graph-uri"), _graphs(params, "named-graph-uri")
    dataset = (tuple(default), tuple(named)) if default or named else (None, None)
    # Compressed by the worker, inside the query's time; a remote engine's answer is compressed here.
    gzip_from = MINIMUM if not remote and wants_gzip(req.headers.get("Accept-Encoding")) else None
    return Job(query, results_format, rdf_format, *dataset, union=not found.has_dataset,
               max_results=config["max_results"], base=endpoint_url(app), max_bytes=config["max_answer_mb"] * 2**20,
               gzip_from=gzip_from, client=client_of(req.environ, app.extensions["zaisei.proxies"]), deadline=deadline)


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


def endpoint_url(app: Flask) -> str:
    """This endpoint's URL under the server's public URL (never the request's Host header)."""
    return public_url(app) + "/sparql"


def public_url(app: Flask) -> str:
    config = app.config["ZAISEI"]
    return (config["public_url"] or f"http://{config['host']}:{config['port']}").rstrip("/")


# The Accept headers SPARQL clients send most, answered without parsing (a measured ~40 us each).
COMMON_ACCEPT = {f.media_type: _pair(f) for f in RESULT_FORMATS + RDF_FORMATS}


def _formats(params, accept: str | None) -> tuple[str | None, str | None]:
    """(results format, RDF format): format/output/results parameters first, then Accept."""
    explicit = (None, None)
    for name in ("format", "output", "results"):
        # `in` first: a missing key costs MultiDict.get an exception (~3 us each)
        value = params.get(name, "").strip().lower() if name in params else ""
        if value in PARAMETER_FORMATS:
            explicit = PARAMETER_FORMATS[value]
            break
    if accept in COMMON_ACCEPT and explicit == (None, None):
        return COMMON_ACCEPT[accept]
    results = explicit[0] or _name(choose(_results_accept(accept), RESULT_FORMATS))
    rdf = explicit[1] or _name(choose(accept, RDF_FORMATS))
    # Clients that only ever ask for SPARQL results (roqet asks XML even for CONSTRUCT) get the
    # same syntax family for a graph: RDF/XML for XML, JSON-LD for JSON.
    return results, rdf or {"xml": "rdfxml", "json": "jsonld"}.get(results or "")


def _name(fmt: Format | None) -> str | None:
    return fmt.name if fmt else None


def _results_accept(accept: str | None) -> str | None:
    """The Accept header with generic JSON / XML media types read as SPARQL results."""
    if not accept:
        return accept
    parts = []
    for part in accept.split(","):
        media, sep, rest = part.strip().partition(";")
        parts.append(RESULT_ALIASES.get(media.strip().lower(), media.strip()) + sep + rest)
    return ",".join(parts)


def _prefers_page() -> bool:
    """A browser (HTML preferred over any result format, none named in a parameter) gets the page."""
    accept = request.headers.get("Accept")
    if not accept or "html" not in accept or any(request.args.get(n) for n in ("format", "output", "results")):
        return False
    return choose(_results_accept(accept), RESULT_FORMATS + RDF_FORMATS + (HTML,)) is HTML


def _error(status: int, message: str) -> Response:
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


def _page(query: str | None = None) -> Response:
    """YASGUI (vendored under static/yasgui/) with our prefixes and the example gallery."""
    lang, gallery = language(), examples()
    prefixes = {p: PREFIXES[p] for p in ("zs", "skos", "rdfs", "schema", "qb", "obeu-dimension", "oa", "dcterms",
                                          "xsd")}
    initial = query or (gallery[0].query if gallery else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n")
    html = render_template("sparql.html", lang=lang, path="/sparql", examples=gallery, prefixes=prefixes,
                           query=initial, config=settings())
    response = Response(html, mimetype=HTML.media_type)
    # YASGUI's table plugin and tooltips set inline styles; scripts stay 'self' only.
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


# --- the Service Description (SPARQL 1.1 Service Description, section 3) ------------------


def _service_description() -> Response:
    fmt = choose(request.headers.get("Accept"), RDF_FORMATS + (HTML,))
    if fmt is None:
        return _error(406, "the service description is available as " + ", ".join(f.media_type for f in RDF_FORMATS))
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
    service = pub.iri("/id/service/sparql")
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

