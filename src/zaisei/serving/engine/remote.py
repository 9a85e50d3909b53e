"""A remote SPARQL 1.1 engine in place of the local workers, and publishing the build to it."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from zaisei.graph.iris import path
from zaisei.serving.published import Publication, PublicationError
from zaisei.serving.query import QueryError
from zaisei.serving.safety import lexemes, query_form, unescape_codepoints
from zaisei.rdf.formats import media_type
from zaisei.rdf.namespaces import PREFIXES
from zaisei.rdf.render import render
from zaisei.rdf.store import StoreError, parse
from zaisei.rdf.terms import label_triple
from zaisei.rdf.results import convert_results, count_results
from zaisei.serving.engine.jobs import Answer, EngineFailure, Job, Overloaded, QueryTimeout, acceptable, too_large, too_many
from zaisei.serving.engine.admission import Admission, FairQueue

ABSENT_GRAPH = "urn:x-zaisei:absent-graph"   # stands for graph IRIs we do not hold: empty, never fetched
VERSION_INFO = PREFIXES["owl"] + "versionInfo"


def version_graph(publication: Publication) -> str:
    """The graph `zaisei publish` names the publication's version in, last: a fragment of the
    service's IRI, as the service description's nodes are; never among the graphs queries see."""
    return publication.iri(path("service")) + "#publication"


def _form(query: str) -> str | None:
    try:
        return query_form(query)
    except QueryError:
        return None


def _accept(form: str | None) -> str:
    """One format per kind of answer: some engines (Virtuoso) fail a CONSTRUCT asked for JSON first."""
    return media_type("ntriples") if form in ("CONSTRUCT", "DESCRIBE") else media_type("json")


def _ask_as_boolean(data: bytes) -> bytes:
    """Virtuoso 7 answers an ASK sent with a protocol dataset as one row of one variable
    (__ASK_RETVAL, 1 or 0): the boolean answer it stands for, as SPARQL JSON."""
    try:
        rows = json.loads(data)["results"]["bindings"]
        value = next(iter(rows[0].values()))["value"] if rows and rows[0] else "0"
    except (ValueError, KeyError, TypeError, StopIteration) as exc:
        raise StoreError(f"no boolean in an answer to ASK: {exc}") from None
    return b'{"head":{},"boolean":' + (b"true" if value in ("1", "true") else b"false") + b"}"


def _relative_iris(query: str) -> bool:
    """True when an IRI of the query is relative, so the engine needs our base (a BASE line makes
    Virtuoso 7 answer ASK as a SELECT, so it is sent only when needed)."""
    return any(kind == "iri" and ":" not in text for kind, text in lexemes(unescape_codepoints(query)))


class RemoteEngine:
    """Fronts any SPARQL 1.1 engine: the same checks (made by the caller), dataset and caps.

    Queries without FROM are confined to our graphs by sending them as the protocol
    dataset, so every engine sees the same union default graph whatever its own
    default is. Answers are re-serialised here, so the client gets the same formats.
    """

    def __init__(self, url: str, graphs: list[str], timeout: float = 10.0, slots: int = 4, per_client: int = 2,
                 queue_size: int = 128):
        self.url, self.graphs, self.timeout = url, list(graphs), timeout
        self.admission = Admission(max(1, queue_size // 2), queue_size)
        # Queries in flight to the engine at once, handed out fairly as the local workers are.
        self.slots = FairQueue(per_client)
        for slot in range(slots):
            self.slots.put(slot)

    def _dataset(self, job: Job) -> list[tuple[str, str]]:
        if job.default_graphs is None and job.named_graphs is None:
            graphs = self.graphs if job.union else []
            return [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
        own = set(self.graphs)
        default = sorted({g if g in own else ABSENT_GRAPH for g in job.default_graphs or ()} or {ABSENT_GRAPH})
        named = sorted({g if g in own else ABSENT_GRAPH for g in job.named_graphs or ()} or {ABSENT_GRAPH})
        return [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]

    def run(self, job: Job) -> Answer:
        """Send the job, read the answer within the deadline, then cap and re-serialise it."""
        deadline = job.deadline or time.monotonic() + self.timeout
        with self.admission.admit(job.client):
            try:
                slot = self.slots.get(job.client, deadline)
            except TimeoutError:
                raise Overloaded(f"every connection to the SPARQL engine stayed busy for the {self.timeout:g} s "
                                 f"a query may take; try again shortly", status=503) from None
            try:
                return self._run(job, deadline)
            finally:
                self.slots.put(slot)
                self.slots.done(job.client)

    def _run(self, job: Job, deadline: float) -> Answer:
        # The protocol has no base parameter: a leading BASE does it (a later BASE in the query wins).
        query = f"BASE <{job.base}>\n{job.query}" if job.base and _relative_iris(job.query) else job.query
        body = urllib.parse.urlencode([("query", query)] + self._dataset(job)).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": _accept(_form(job.query))})
        try:
            with _OPENER.open(request, timeout=max(0.001, deadline - time.monotonic())) as response:
                data, media = _read_capped(response, deadline, job.max_bytes), response.headers.get_content_type()
        except urllib.error.HTTPError as exc:
            with exc:  # it holds the connection until closed
                message = exc.read(65536).decode("utf-8", "replace").strip() or exc.reason
            raise QueryError(f"the SPARQL engine refused the query: {message}",
                             status=exc.code if 400 <= exc.code < 500 else 502) from None
        except (TimeoutError, socket.timeout):
            raise QueryTimeout(f"the query was stopped after {self.timeout:g} s, this endpoint's limit",
                               status=504) from None
        except (OSError, urllib.error.URLError) as exc:
            raise EngineFailure(f"the SPARQL engine did not answer: {exc}", status=502) from None
        return self._answer(job, data, media)

    def _answer(self, job: Job, data: bytes, media: str) -> Answer:
        try:
            if media == media_type("ntriples"):
                triples = parse(data, "ntriples")
                if len(triples) > job.max_results:
                    raise too_many(job.max_results)
                fmt = acceptable(job.rdf_format, "triples")
                return Answer("triples", fmt, render(triples, fmt), len(triples))
            if media == media_type("json") and _form(job.query) == "ASK" and b'"boolean"' not in data:
                data = _ask_as_boolean(data)
            kind, rows = count_results(data, "json")
            if rows > job.max_results:
                raise too_many(job.max_results)
            fmt = acceptable(job.results_format, kind)
            return Answer(kind, fmt, convert_results(data, "json", fmt, always=True), rows)
        except StoreError as exc:
            raise EngineFailure(f"the SPARQL engine's answer ({media}) is unreadable: {exc}", status=502) from None

    def held_version(self, graph: str, timeout: float = 10.0) -> str | None:
        """The publication version the engine holds (what `zaisei publish` wrote last), or None."""
        query = f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ <{graph}> <{VERSION_INFO}> ?v }} }}"
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode({"query": query}).encode(),
                                         method="POST", headers={"Content-Type": "application/x-www-form-urlencoded",
                                                                 "Accept": media_type("json")})
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                data = response.read(1 << 20)
        except (OSError, urllib.error.URLError) as exc:
            raise EngineFailure(f"the SPARQL engine at {self.url} did not answer: {exc}", status=503) from None
        try:
            values = {row["v"]["value"] for row in json.loads(data)["results"]["bindings"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineFailure(f"the SPARQL engine at {self.url} answered no SPARQL JSON: {exc}", status=503) from None
        return values.pop() if len(values) == 1 else None

    def check_version(self, publication: Publication) -> None:
        """PublicationError unless the engine holds this output's version: pages, downloads and the
        catalog come from the output, answers from the engine, and both must be the same build."""
        held = self.held_version(version_graph(publication))
        if held != publication.version:
            found = f"holds publication version {held}" if held else "holds no publication version"
            raise PublicationError(f"the SPARQL engine at {self.url} {found}, and {publication.output} is "
                                   f"version {publication.version}: publish this output to it (`zaisei publish "
                                   f"--graph-store URL --output {publication.output}`) or serve the output it "
                                   f"was published from")

    def status(self) -> dict:
        return {"engine": self.url, **self.admission.load()}

    def close(self) -> None:
        """Nothing to stop: one connection per query."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The engine's address is configured; a redirect elsewhere is not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def _read_capped(response, deadline: float, max_bytes: int) -> bytes:
    chunks, total = [], 0
    while chunk := response.read(1 << 16):
        total += len(chunk)
        if total > max_bytes:
            raise too_large(total, max_bytes)
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)


def publish(output: Path, graph_store: str, timeout: float = 60.0) -> list[tuple[str, int, int]]:
    """PUT each graph of the publication to a SPARQL 1.1 Graph Store (replacing it), the same
    graphs the local engine holds (datasets, ontology, catalog, VoID): [(graph, triples, status)];
    then the publication's version, in a graph of its own (version_graph), which remote-mode
    servers check against their output before they start."""
    try:
        publication = Publication(Path(output))
    except PublicationError as exc:
        raise EngineFailure(str(exc), status=503) from exc
    graphs = {graph: publication.store.triples(graph) for graph in publication.graphs}
    done = [(graph, len(triples), _put(graph_store, graph, triples, timeout)) for graph, triples in sorted(graphs.items())]
    # The version last: an engine whose publishing stopped halfway does not claim the new one.
    marker = version_graph(publication)
    _put(graph_store, marker, [label_triple(marker, VERSION_INFO, publication.version)], timeout)
    return done


def _put(graph_store: str, graph: str, triples: list, timeout: float) -> int:
    """Replace one graph of the store; its HTTP status."""
    separator = "&" if "?" in graph_store else "?"
    target = f"{graph_store}{separator}{urllib.parse.urlencode({'graph': graph})}"
    request = urllib.request.Request(target, data=render(triples, "ntriples"), method="PUT",
                                     headers={"Content-Type": media_type("ntriples")})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        with exc:
            message = exc.read(4096).decode("utf-8", "replace")
        raise EngineFailure(f"{target}: {exc.code} {message}", status=502) from None
    except OSError as exc:
        raise EngineFailure(f"{graph_store}: {exc}", status=502) from None
