"""SPARQL over the published graph: load output/, refuse what is unsafe, answer.

What a query may ask for is decided in safety.py, from the query's SPARQL
terminals, before any engine sees it: both pyoxigraph and rdflib would otherwise
open connections for SERVICE (measured here) and rdflib reads FROM <file:...>.
`zaisei query` also takes its own process off the network before it runs one.
"""

from __future__ import annotations

from pathlib import Path

from zaisei.serving.published import Publication, PublicationError
from zaisei.serving.safety import FORMS, UPDATE_KEYWORDS, Inspection, QueryError, QueryRefused, Token, inspect, query_form, tokens, unescape_codepoints
from zaisei.rdf.store import GraphStore, StoreError

__all__ = ["FORMS", "UPDATE_KEYWORDS", "Inspection", "QueryError", "QueryRefused", "Token", "answer", "inspect",
           "load_output", "query_form", "run", "tokens", "unescape_codepoints"]


def check(query: str, own_graphs: set[str]) -> None:
    """Raise QueryRefused for updates, SERVICE, or FROM naming a graph not ours."""
    inspect(query, own_graphs)


def load_output(output: Path, snapshots: Path | None = None) -> tuple[GraphStore, list[str]]:
    """The published store (what the pages read: the datasets' graphs, the ontology, the
    catalog and VoID), and its graph names; from a persisted snapshot when given a folder."""
    if not (output / "all.nq.gz").exists():
        raise QueryError(f"{output / 'all.nq.gz'}: not found; run `zaisei build` first", exit_code=2, status=503)
    try:
        publication = Publication(output, snapshots)
    except PublicationError as exc:
        raise QueryError(str(exc), exit_code=2, status=503) from exc
    return publication.store, publication.graphs


def run(store: GraphStore, query: str, graphs: list[str]):
    """Check and run a query over the union of the datasets' graphs (or its own FROM graphs)."""
    found = inspect(query, set(graphs))
    try:
        # pyoxigraph ignores FROM when asked for the union default graph, so ask only without FROM.
        return store.query(query, use_default_graph_as_union=not found.has_dataset)
    except StoreError as exc:
        raise QueryError(str(exc)) from exc


def answer(output: Path, query: str, fmt: str = "table", snapshots: Path | None = None) -> str:
    """A query's answer as text, for the command line: run in this process, taken off the
    network first (engine/sandbox.py), as the server's workers are."""
    from zaisei.serving.engine.sandbox import confine

    store, graphs = load_output(output, snapshots)
    confine()
    result = run(store, query, graphs)
    return store.format(result, fmt)
