"""The one module that talks to pyoxigraph: the mapping engine and the serving store.

pyoxigraph measured about 20x faster than rdflib's memory store on aggregates
and serialises 20-60x faster, so every query and every dump goes through here.
"""

from __future__ import annotations

import re
import json
from itertools import islice
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


RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _table(solutions) -> str:
    names = [v.value for v in solutions.variables]
    rows = [[_plain(solution[name]) for name in names] for solution in solutions]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines) + "\n"


def _plain(term) -> str:
    return "" if term is None else term.value


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

    def load_bytes(self, data, format: str, graph: str | None = None, trusted: bool = False) -> None:
        """Bulk-load RDF given as bytes or a binary file object (e.g. a gzip stream, read in
        chunks) into its own graphs or `graph`.

        trusted: the bytes are a build's own checksum-verified output, so IRI validation is
        skipped (measured: 1M quads load in 3.4 s instead of 5.3 s)."""
        target = ox.NamedNode(graph) if graph else None
        try:
            self._store.bulk_load(input=data, format=FORMATS[format], to_graph=target, lenient=trusted)
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(str(exc)) from exc

    def flush(self) -> None:
        """Write everything a disk store holds to its files."""
        self._store.flush()

    def graph_names(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def triples(self, graph: str | None = None) -> list:
        """All triples of a graph (default graph if None), sorted."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        return sorted((q.triple for q in self._store.quads_for_pattern(None, None, None, target)), key=sort_key)

    def query(self, query: str, **options):
        """Run any SPARQL query; StoreError carries the parser's message."""
        try:
            return self._store.query(query, **options)
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(str(exc)) from exc

    @staticmethod
    def format(result, fmt: str) -> str:
        """A query result as text: table/csv/tsv/json/xml for solutions, RDF for graphs."""
        if isinstance(result, ox.QueryBoolean):
            return ("true" if bool(result) else "false") + "\n" if fmt == "table" else \
                result.serialize(format=RESULT_FORMATS.get(fmt, ox.QueryResultsFormat.JSON)).decode()
        if isinstance(result, ox.QuerySolutions):
            if fmt == "table":
                return _table(result)
            return result.serialize(format=RESULT_FORMATS[fmt]).decode()
        triples = sorted(result, key=sort_key)
        return serialize(triples, "ntriples" if fmt not in FORMATS else fmt).decode()

    def outgoing(self, iri: str) -> list:
        """Triples whose subject is iri, in any graph, deduplicated and sorted."""
        node = named_node(iri)
        if node is None:
            return []
        quads = self._store.quads_for_pattern(node, None, None)
        return sorted({q.triple for q in quads}, key=lambda t: (str(t.predicate), str(t.object)))

    def incoming(self, iri: str) -> list:
        """Triples whose object is iri, in any graph, deduplicated and sorted."""
        node = named_node(iri)
        if node is None:
            return []
        quads = self._store.quads_for_pattern(None, None, node)
        return sorted({q.triple for q in quads}, key=lambda t: (str(t.predicate), str(t.subject)))

    def literals(self, iri: str, predicate: str) -> list[tuple[str, str]]:
        """(language, text) of the literal values of one property of iri."""
        node = named_node(iri)
        if node is None:
            return []
        quads = self._store.quads_for_pattern(node, ox.NamedNode(predicate), None)
        return sorted({(q.object.language or "", q.object.value) for q in quads if isinstance(q.object, ox.Literal)})

    def select(self, query: str, **bindings: str) -> list[dict]:
        """SELECT over the union of graphs; keyword bindings are IRIs substituted for variables."""
        if bindings:
            names = " ".join(f"?{name}" for name in bindings)
            iris = " ".join(f"<{ox.NamedNode(iri).value}>" for iri in bindings.values())
            query = with_values(query, f"VALUES ({names}) {{ ({iris}) }}")
        solutions = self.query(query, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        return [{name: row[name] for name in names} for row in solutions]

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


def named_node(iri: str):
    """The IRI as a term, or None when it is not a valid IRI (e.g. from a hostile URL)."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


def with_values(query: str, values: str) -> str:
    """Put a VALUES block first in the WHERE clause, so every pattern and BIND sees it."""
    match = re.search(r"\bWHERE\s*\{", query, re.IGNORECASE)
    if not match:
        raise StoreError("the query needs a WHERE { ... } clause")
    return query[: match.end()] + "\n" + values + "\n" + query[match.end():]


def is_iri(term) -> bool:
    return isinstance(term, ox.NamedNode)


def is_literal(term) -> bool:
    return isinstance(term, ox.Literal)


def label_triple(iri: str, predicate: str, text: str, language: str = ""):
    """A triple giving iri a (language-tagged) label."""
    literal = ox.Literal(text, language=language) if language else ox.Literal(text)
    return ox.Triple(ox.NamedNode(iri), ox.NamedNode(predicate), literal)


def quad(triple, graph: str):
    return ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(graph))


def triple(subject: str, predicate: str, obj) -> object:
    """A triple from IRIs; obj is an IRI string, or an int / Literal-like value for a literal."""
    if isinstance(obj, bool) or not isinstance(obj, (str, int)):
        raise TypeError(f"unsupported object {obj!r}")
    if isinstance(obj, int):
        value = ox.Literal(str(obj), datatype=ox.NamedNode(XSD_INTEGER))
    else:
        value = ox.NamedNode(obj)
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), value)


# --- SPARQL results, for the endpoint's workers (zaisei.serving.engine) -------------------------

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def dataset_options(default_graphs, named_graphs, union: bool) -> dict:
    """Store.query keyword arguments for a protocol dataset (IRIs) or the union default graph.

    A graph IRI the store does not hold is simply an empty graph: nothing is ever fetched.
    """
    if default_graphs is None and named_graphs is None:
        return {"use_default_graph_as_union": union}
    return {"default_graph": [ox.NamedNode(g) for g in default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in named_graphs or ()]}


def result_kind(result) -> str:
    """"boolean" (ASK), "solutions" (SELECT) or "triples" (CONSTRUCT, DESCRIBE)."""
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "solutions" if isinstance(result, ox.QuerySolutions) else "triples"


def boolean_results(result, fmt: str) -> bytes:
    """An ASK answer in a SPARQL results format (json, xml, csv, tsv)."""
    return result.serialize(format=RESULT_FORMATS[fmt])


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    if term.language:
        return {"type": "literal", "value": term.value, "xml:lang": term.language}
    if term.datatype.value == XSD_STRING:
        return {"type": "literal", "value": term.value}
    return {"type": "literal", "value": term.value, "datatype": term.datatype.value}


def solutions_json(solutions, limit: int) -> tuple[bytes, int]:
    """At most limit + 1 rows of a SELECT as SPARQL JSON, and the row count.

    Rows are pulled one by one so memory stays bounded by the limit; a count of
    limit + 1 tells the caller the result is larger than allowed.
    """
    names = [v.value for v in solutions.variables]
    rows = [{name: _json_term(solution[name]) for name in names if solution[name] is not None}
            for solution in islice(solutions, limit + 1)]
    body = {"head": {"vars": names}, "results": {"bindings": rows}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), len(rows)


def convert_results(data: bytes, source: str, target: str) -> bytes:
    """SPARQL results from one format to another (json, xml, csv, tsv), by pyoxigraph."""
    if source == target:
        return data
    try:
        return ox.parse_query_results(data, format=RESULT_FORMATS[source]).serialize(format=RESULT_FORMATS[target])
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"unreadable SPARQL results: {exc}") from exc


def count_results(data: bytes, fmt: str) -> tuple[str, int]:
    """("boolean", 1) or ("solutions", rows) of serialised SPARQL results."""
    try:
        parsed = ox.parse_query_results(data, format=RESULT_FORMATS[fmt])
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"unreadable SPARQL results: {exc}") from exc
    if isinstance(parsed, ox.QueryBoolean):
        return "boolean", 1
    return "solutions", sum(1 for _ in parsed)


# --- building small graphs (catalog, VoID) from IRIs and CURIEs ---------------------------

def expand(name: str, prefixes: dict[str, str]) -> str:
    """A full IRI from a full IRI or a CURIE of prefixes."""
    if "://" in name:
        return name
    prefix, local = name.split(":", 1)
    return prefixes[prefix] + local


def text_literal(value: str, language: str):
    return ox.Literal(value, language=language)


def typed_literal(value: str, datatype: str):
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


class TripleSet:
    """A set of triples built from IRIs (full or CURIE) and literals."""

    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = prefixes
        self.triples: set = set()

    def add(self, subject: str, predicate: str, obj) -> None:
        term = obj if isinstance(obj, ox.Literal) else ox.NamedNode(expand(obj, self.prefixes))
        self.triples.add(ox.Triple(ox.NamedNode(expand(subject, self.prefixes)),
                                   ox.NamedNode(expand(predicate, self.prefixes)), term))

    def types(self, subject: str, *classes: str) -> None:
        for cls in classes:
            self.add(subject, "rdf:type", cls)

    def texts(self, subject: str, predicate: str, texts: dict[str, str]) -> None:
        """One language-tagged literal per language (ja, en), skipping empty ones."""
        for lang in ("ja", "en"):
            if texts.get(lang):
                self.add(subject, predicate, text_literal(texts[lang], lang))


def native_store(rdflib_triples):
    """A bare pyoxigraph Store holding rdflib triples, term by term (for pyshacl's Oxigraph
    backend); blank nodes keep their labels, so both validation passes name nodes alike."""
    store = ox.Store()
    store.extend(ox.Quad(_from_rdflib(s), _from_rdflib(p), _from_rdflib(o)) for s, p, o in rdflib_triples)
    return store


def _from_rdflib(term):
    kind = type(term).__name__
    if kind == "URIRef":
        return ox.NamedNode(str(term))
    if kind == "BNode":
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or "http://www.w3.org/2001/XMLSchema#string")))
