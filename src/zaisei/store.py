"""The one module that talks to pyoxigraph: the mapping engine and the serving store.

pyoxigraph measured about 20x faster than rdflib's memory store on aggregates
and serialises 20-60x faster, so every query and every dump goes through here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


class StoreError(Exception):
    """A query or file the engine rejected; the message is the engine's."""


def sort_key(triple) -> tuple[str, str, str]:
    """Order triples by their N-Triples terms, so dumps diff cleanly."""
    return str(triple.subject), str(triple.predicate), str(triple.object)


class GraphStore:
    """An RDF store: in memory, or on disk when given a folder."""

    def __init__(self, path: Path | None = None, read_only: bool = False):
        if path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(path))
        else:
            self._store = ox.Store(str(path))

    def construct(self, query: str) -> list:
        """Run a CONSTRUCT query against the store's default graph."""
        try:
            return list(self._store.query(query, use_default_graph_as_union=False))
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(str(exc)) from exc

    def add(self, triples: Iterable, graph: str | None = None) -> None:
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self._store.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)

    def load(self, path: Path, format: str, graph: str | None = None) -> None:
        """Bulk-load a file (the fast path: never Store.load at scale)."""
        target = ox.NamedNode(graph) if graph else None
        self._store.bulk_load(path=str(path), format=FORMATS[format], to_graph=target)

    def triples(self, graph: str | None = None) -> list:
        """All triples of a graph (default graph if None), sorted."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        return sorted((q.triple for q in self._store.quads_for_pattern(None, None, None, target)), key=sort_key)

    def query(self, query: str, **options):
        return self._store.query(query, **options)

    def __len__(self) -> int:
        return len(self._store)


def serialize(triples: list, format: str, prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise triples in the given order (sort them first for stable output)."""
    return ox.serialize(triples, format=FORMATS[format], prefixes=prefixes or {})


def serialize_quads(quads: list, format: str, prefixes: dict[str, str] | None = None) -> bytes:
    return ox.serialize(quads, format=FORMATS[format], prefixes=prefixes or {})


def parse(data: bytes | str, format: str, base: str | None = None) -> list:
    """Parse RDF text into a list of triples or quads."""
    try:
        return list(ox.parse(data, format=FORMATS[format], base_iri=base))
    except (SyntaxError, ValueError) as exc:
        raise StoreError(str(exc)) from exc


def quad(triple, graph: str):
    return ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(graph))
