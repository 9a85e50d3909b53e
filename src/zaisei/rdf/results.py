"""SPARQL results: kinds, formats, and the JSON the workers write (pyoxigraph underneath)."""

from __future__ import annotations

import json
from itertools import islice

import pyoxigraph as ox

from zaisei.rdf.namespaces import XSD_STRING
from zaisei.rdf.store import RESULT_FORMATS, StoreError


class ResultTooLarge(Exception):
    """The rows pulled so far already pass the byte limit; `size` is how far they got."""

    def __init__(self, size: int):
        super().__init__(f"{size} bytes")
        self.size = size


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


# SPARQL JSON results, written as text: the bytes json.dumps of dicts would give (ensure_ascii=False,
# no spaces; tests/test_sparql_engine.py compares them with pyoxigraph's), at a third to a half of the Python time per row
# (measured at 1M triples: 2 rows 413 -> 322 us with the query, 10 rows 1,259 -> 900 us): no
# lookups by variable name, no dicts for json.dumps. Strings still go through json's C encoder.
# (Caching a term's text per answer was measured too: no faster, even for repeated terms.)
_string = json.encoder.encode_basestring


def solutions_json(solutions, limit: int, max_bytes: int | None = None) -> tuple[bytes, int]:
    """At most limit + 1 rows of a SELECT as SPARQL JSON, and the row count (rows pulled one by one);
    ResultTooLarge as soon as the rows pass max_bytes characters (a character is at least a byte)."""
    names = [v.value for v in solutions.variables]
    keys = [_string(name) + ":" for name in names]
    rows, size = [], 0
    for solution in islice(solutions, limit + 1):
        row = "{" + ",".join([key + _json_term(term) for key, term in zip(keys, solution) if term is not None]) + "}"
        size += len(row)
        if max_bytes is not None and size > max_bytes:
            raise ResultTooLarge(size)
        rows.append(row)
    head = ",".join(_string(name) for name in names)
    text = '{"head":{"vars":[' + head + ']},"results":{"bindings":[' + ",".join(rows) + "]}}"
    return text.encode("utf-8"), len(rows)


def _json_term(term) -> str:
    """One RDF term as a SPARQL JSON results object, as text."""
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


def convert_results(data: bytes, source: str, target: str, always: bool = False) -> bytes:
    """SPARQL results from one format to another (json, xml, csv, tsv), by pyoxigraph; with
    always, also from a format to itself (another engine's JSON written as ours is)."""
    if source == target and not always:
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


