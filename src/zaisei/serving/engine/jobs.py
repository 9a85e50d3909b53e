"""A query to run and its answer, the errors on the way, and running one on a store.

What the worker processes (worker.py), the server process (cheap queries) and the
remote engine (remote.py) share; no process management here.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from itertools import islice

from zaisei.rdf.render import render
from zaisei.rdf.results import (ResultTooLarge, boolean_results, convert_results, dataset_options, result_kind,
                                solutions_json)
from zaisei.rdf.store import StoreError
from zaisei.serving.safety import QueryError

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
        try:
            body, rows = solutions_json(result, job.max_results, job.max_bytes)
        except ResultTooLarge as exc:
            raise too_large(exc.size, job.max_bytes) from None
        if rows > job.max_results:
            raise too_many(job.max_results)
        return Answer(kind, fmt, convert_results(body, "json", fmt), rows)
    triples = list(islice(result, job.max_results + 1))
    if len(triples) > job.max_results:
        raise too_many(job.max_results)
    return Answer(kind, fmt, render(triples, fmt), len(triples))


def acceptable(fmt: str | None, kind: str) -> str:
    """The format to write a kind of result in; 406 when the client accepts none."""
    if fmt is None:
        raise QueryError(f"no acceptable format for a {kind} result: see the Accept header", status=406)
    return fmt
