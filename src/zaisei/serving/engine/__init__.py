"""Query execution for the SPARQL endpoint: jobs, answers, limits; no Flask here.

Two engines answer the same Job with the same Answer and the same errors:
- LocalEngine (engine/pool.py): worker processes over output/all.nq.gz, killed on timeout;
- RemoteEngine (engine/remote.py): any SPARQL 1.1 engine over HTTP, in its place.
The caller (web/sparql.py) has already refused unsafe queries (query.inspect).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox

from zaisei.serving.query import QueryError
from zaisei.rdf.render import render
from zaisei.rdf.store import XSD_STRING, StoreError, boolean_results, convert_results, dataset_options, result_kind

KINDS = ("boolean", "solutions", "triples")


class QueryTimeout(QueryError):
    """The query ran past the timeout; its worker was killed."""


class Overloaded(QueryError):
    """Every worker stayed busy for as long as a request may wait."""


class EngineFailure(QueryError):
    """The worker or the remote engine failed without an answer."""


@dataclass(frozen=True)
class Job:
    """One query to run. Formats name the serialisation for each kind of result; None means 406."""

    query: str
    results_format: str | None = "json"
    rdf_format: str | None = "turtle"
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union: bool = True
    max_results: int = 10000
    base: str | None = None   # the service-defined base IRI for relative IRIs: the endpoint's URL
    max_bytes: int = 32 * 2**20   # the largest answer body (before compression)
    gzip_from: int | None = None  # gzip answers of at least this many bytes (None: the client takes no gzip)
    client: str = "local"          # who asks (per-client limits, fair queueing)
    deadline: float | None = None  # time.monotonic() by which the answer is due (None: timeout from now)


@dataclass(frozen=True)
class Answer:
    kind: str      # boolean, solutions, triples
    format: str    # json, xml, csv, tsv, turtle, jsonld, ntriples, rdfxml
    body: bytes
    rows: int
    encoding: str | None = None   # "gzip" when the body is compressed


def syntax_message(message: str) -> str:
    """pyoxigraph's `error at 3:17: expected ...` as `SPARQL syntax error at line 3, column 17: ...`."""
    head, _, rest = message.partition(": ")
    position = head.removeprefix("error at ")
    if head.startswith("error at ") and ":" in position:
        line, _, column = position.partition(":")
        return f"SPARQL syntax error at line {line}, column {column}: {rest}"
    return f"SPARQL syntax error: {message}"


class TooManyQueries(QueryError):
    """The client already has as many queries running or waiting as it may (429)."""


def too_large(size: int, limit: int) -> QueryError:
    return QueryError(f"the answer is {size / 2**20:.1f} MiB, more than the {limit / 2**20:g} MiB this endpoint "
                      f"returns; select fewer or shorter values, or add LIMIT", status=400)


def too_many(limit: int) -> QueryError:
    return QueryError(f"the result has more than {limit} rows, the most this endpoint returns; "
                      f"add LIMIT {limit} (and OFFSET to page through the rest)", status=400)


def execute(store, job: Job) -> Answer:
    """Run a job on a GraphStore and serialise the answer (in a worker, or in-process for tools)."""
    options = dataset_options(job.default_graphs, job.named_graphs, job.union)
    try:
        result = store.query(job.query, base_iri=job.base, **options)
    except StoreError as exc:
        raise QueryError(syntax_message(str(exc))) from exc
    try:
        answer = _serialise(result, job)
    except (StoreError, SyntaxError, ValueError, OSError) as exc:
        raise QueryError(f"the query failed while running: {exc}", status=500) from exc
    if len(answer.body) > job.max_bytes:
        raise too_large(len(answer.body), job.max_bytes)
    return answer


def encoded(answer: Answer, job: Job) -> Answer:
    """gzip the body, where the query runs (inside its time limit), when the client takes it."""
    if job.gzip_from is None or len(answer.body) < job.gzip_from:
        return answer
    body = gzip.compress(answer.body, compresslevel=6, mtime=0)
    return Answer(answer.kind, answer.format, body, answer.rows, "gzip")


def _serialise(result, job: Job) -> Answer:
    kind = result_kind(result)
    fmt = acceptable(job.rdf_format if kind == "triples" else job.results_format, kind)
    if kind == "boolean":
        return Answer(kind, fmt, boolean_results(result, fmt), 1)
    if kind == "solutions":
        body, rows = solutions_json(result, job.max_results, job.max_bytes)
        if rows > job.max_results:
            raise too_many(job.max_results)
        return Answer(kind, fmt, convert_results(body, "json", fmt), rows)
    triples = list(islice(result, job.max_results + 1))
    if len(triples) > job.max_results:
        raise too_many(job.max_results)
    return Answer(kind, fmt, render(triples, fmt), len(triples))


# --- SPARQL JSON results, written as text ------------------------------------------------
# The bytes of store.solutions_json (json.dumps of dicts, ensure_ascii=False, no spaces), which
# tests/test_sparql_fastpath.py holds this to, at a third to a half of the Python time per row
# (measured at 1M triples: 2 rows 413 -> 322 us with the query, 10 rows 1,259 -> 900 us): no
# lookups by variable name, no dicts for json.dumps. Strings still go through json's C encoder.
# (Caching a term's text per answer was measured too: no faster, even for repeated terms.)
_string = json.encoder.encode_basestring


def solutions_json(solutions, limit: int, max_bytes: int | None = None) -> tuple[bytes, int]:
    """At most limit + 1 rows of a SELECT as SPARQL JSON, and the row count (rows pulled one by one);
    too_large() as soon as the rows pass max_bytes characters (a character is at least a byte)."""
    names = [v.value for v in solutions.variables]
    keys = [_string(name) + ":" for name in names]
    rows, size = [], 0
    for solution in islice(solutions, limit + 1):
        row = "{" + ",".join([key + _json_term(term) for key, term in zip(keys, solution) if term is not None]) + "}"
        size += len(row)
        if max_bytes is not None and size > max_bytes:
            raise too_large(size, max_bytes)
        rows.append(row)
    head = ",".join(_string(name) for name in names)
    text = '{"head":{"vars":[' + head + ']},"results":{"bindings":[' + ",".join(rows) + "]}}"
    return text.encode("utf-8"), len(rows)


def _json_term(term) -> str:
    """One RDF term as a SPARQL JSON results object (store._json_term, as text)."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _string(term.value) + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _string(term.value) + "}"
    if isinstance(term, ox.Triple):
        return ('{"type":"triple","value":{"subject":' + _json_term(term.subject) + ',"predicate":'
                + _json_term(term.predicate) + ',"object":' + _json_term(term.object) + "}}")
    value = '{"type":"literal","value":' + _string(term.value)
    if term.language:
        return value + ',"xml:lang":' + _string(term.language) + "}"
    if term.datatype.value == XSD_STRING:
        return value + "}"
    return value + ',"datatype":' + _string(term.datatype.value) + "}"


def acceptable(fmt: str | None, kind: str) -> str:
    """The format to write a kind of result in; 406 when the client accepts none."""
    if fmt is None:
        raise QueryError(f"no acceptable format for a {kind} result: see the Accept header", status=406)
    return fmt


from zaisei.serving.engine.pool import LocalEngine  # noqa: E402 - the engines build on the definitions above
from zaisei.serving.engine.remote import RemoteEngine, publish  # noqa: E402

__all__ = ["Answer", "EngineFailure", "Job", "LocalEngine", "Overloaded", "QueryTimeout", "RemoteEngine",
           "TooManyQueries", "execute", "publish"]
