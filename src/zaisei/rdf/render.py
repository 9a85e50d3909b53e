"""Renderers: the same triples as Turtle, N-Triples, RDF/XML, N-Quads, TriG or JSON-LD.

Every renderer sorts its input, so the same graph always gives the same bytes.
JSON-LD is compacted here (pyoxigraph writes expanded JSON-LD) with the
context inline, so no client ever fetches a remote context.
"""

from __future__ import annotations

import json

from zaisei.rdf.namespaces import PREFIXES, RDF_TYPE, XSD_STRING
from zaisei.rdf.store import serialize, serialize_quads, sort_key

_RDF_TYPE = RDF_TYPE


def render(triples, format: str, prefixes: dict[str, str] | None = None) -> bytes:
    """Triples in the given RDF format, sorted for byte-stable output."""
    return render_sorted(sorted(triples, key=sort_key), format, prefixes)


def render_sorted(ordered: list, format: str, prefixes: dict[str, str] | None = None) -> bytes:
    """Like render, for triples already in sort_key order (sort once, render every format)."""
    if format == "jsonld":
        return _jsonld(ordered, prefixes or PREFIXES)
    return serialize(ordered, format, prefixes or PREFIXES if format in ("turtle", "trig", "rdfxml") else None)


def render_quads(quads, format: str) -> bytes:
    """Quads (several named graphs) as TriG or N-Quads, sorted by graph then triple."""
    ordered = sorted(quads, key=lambda q: (str(q.graph_name), *sort_key(q)))
    return serialize_quads(ordered, format, PREFIXES if format == "trig" else None)


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    for prefix, namespace in prefixes.items():
        local = iri[len(namespace):]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "_-." for c in local):
            return f"{prefix}:{local}"
    return iri


# The JSON-LD is written as text: json.dumps with indent runs the pure-Python
# encoder (~half of the serialisation time). The text below is exactly what
# json.dumps(document, ensure_ascii=False, indent=1) gives for the document's
# fixed shape (tests/test_build.py compares the two); strings still go
# through json's C string encoder.
_string = json.encoder.encode_basestring
_XSD_STRING = XSD_STRING


class _Compactor(dict):
    """IRI -> CURIE, each IRI tried against the prefixes once (a dataset uses a few dozen)."""

    def __init__(self, prefixes: dict[str, str]):
        super().__init__()
        self.prefixes = prefixes

    def __missing__(self, iri: str) -> str:
        self[iri] = curie = _compact(iri, self.prefixes)
        return curie


def _object(term, compact: _Compactor) -> str:
    """A term as one encoded item of a node's property list (four spaces deep)."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return '{\n     "@id": ' + _string(term.value) + "\n    }"
    if kind == "BlankNode":
        return '{\n     "@id": ' + _string(f"_:{term.value}") + "\n    }"
    if term.language:
        pair = _string(term.value) + ',\n     "@language": ' + _string(term.language)
    elif term.datatype.value == _XSD_STRING:
        return _string(term.value)
    else:
        pair = _string(term.value) + ',\n     "@type": ' + _string(compact[term.datatype.value])
    return '{\n     "@value": ' + pair + "\n    }"


class _Objects(dict):
    """Term -> its encoded item: a dataset repeats the same objects (accounts, years, units)."""

    def __init__(self, compact: _Compactor):
        super().__init__()
        self.compact = compact

    def __missing__(self, term) -> str:
        self[term] = text = _object(term, self.compact)
        return text


def _node(subject: str, properties: dict[str, list[str]]) -> str:
    """One node of @graph: its @id, then each key and its list of encoded items."""
    parts = ['\n  {\n   "@id": ', _string(subject)]
    for key, items in properties.items():
        parts += [",\n   ", _string(key), ": [\n    ", ",\n    ".join(items), "\n   ]"]
    parts.append("\n  }")
    return "".join(parts)


def _document(prefixes: dict[str, str], nodes: dict[str, dict]) -> str:
    context = ",".join(f"\n  {_string(p)}: {_string(ns)}" for p, ns in prefixes.items())
    graph = ",".join(_node(subject, properties) for subject, properties in nodes.items())
    return ('{\n "@context": ' + ("{" + context + "\n }" if context else "{}")
            + ',\n "@graph": ' + ("[" + graph + "\n ]" if graph else "[]") + "\n}\n")


def jsonld(triples, prefixes: dict[str, str]) -> bytes:
    """Compacted JSON-LD (CURIEs from an inline @context), nodes in subject order."""
    return _jsonld(sorted(triples, key=sort_key), prefixes)


def _jsonld(ordered, prefixes: dict[str, str]) -> bytes:
    compact = _Compactor(prefixes)
    objects = _Objects(compact)
    nodes: dict[str, dict[str, list[str]]] = {}
    for triple in ordered:
        subject, obj = triple.subject, triple.object
        iri = subject.value if type(subject).__name__ == "NamedNode" else f"_:{subject.value}"
        node = nodes.get(iri)
        if node is None:
            node = nodes[iri] = {}
        if triple.predicate.value == _RDF_TYPE and type(obj).__name__ == "NamedNode":
            node.setdefault("@type", []).append(_string(compact[obj.value]))
        else:
            node.setdefault(compact[triple.predicate.value], []).append(objects[obj])
    return _document(prefixes, nodes).encode("utf-8")
