"""Renderers: the same triples as Turtle, N-Triples, RDF/XML, N-Quads, TriG or JSON-LD.

Every renderer sorts its input, so the same graph always gives the same bytes.
JSON-LD is compacted here (pyoxigraph writes expanded JSON-LD) with the
context inline, so no client ever fetches a remote context.
"""

from __future__ import annotations

import json

from .iris import VOCAB
from .store import serialize, serialize_quads, sort_key

PREFIXES = {
    "zs": VOCAB,
    "qb": "http://purl.org/linked-data/cube#",
    "obeu-dimension": "http://data.openbudgets.eu/ontology/dsd/dimension/",
    "obeu-measure": "http://data.openbudgets.eu/ontology/dsd/measure/",
    "obeu-attribute": "http://data.openbudgets.eu/ontology/dsd/attribute/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "http://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "time": "http://www.w3.org/2006/time#",
    "ic": "http://imi.go.jp/ns/core/rdf#",
    "org": "http://www.w3.org/ns/org#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "adms": "http://www.w3.org/ns/adms#",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
}
_RDF_TYPE = PREFIXES["rdf"] + "type"

# Media types and file suffixes of every RDF format we write and serve.
MEDIA_TYPES = {
    "turtle": ("text/turtle", ".ttl"),
    "jsonld": ("application/ld+json", ".jsonld"),
    "ntriples": ("application/n-triples", ".nt"),
    "rdfxml": ("application/rdf+xml", ".rdf"),
    "trig": ("application/trig", ".trig"),
    "nquads": ("application/n-quads", ".nq"),
}


def render(triples, format: str, prefixes: dict[str, str] | None = None) -> bytes:
    """Triples in the given RDF format, sorted for byte-stable output."""
    ordered = sorted(triples, key=sort_key)
    if format == "jsonld":
        return jsonld(ordered, prefixes or PREFIXES)
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


def _jsonld_value(term, prefixes):
    kind = type(term).__name__
    if kind == "NamedNode":
        return {"@id": term.value}
    if kind == "BlankNode":
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == PREFIXES["xsd"] + "string":
        return term.value
    return {"@value": term.value, "@type": _compact(term.datatype.value, prefixes)}


def jsonld(triples, prefixes: dict[str, str]) -> bytes:
    """Compacted JSON-LD (CURIEs from an inline @context), nodes in subject order."""
    nodes: dict[str, dict] = {}
    for triple in sorted(triples, key=sort_key):
        subject = triple.subject.value if type(triple.subject).__name__ == "NamedNode" else f"_:{triple.subject.value}"
        node = nodes.setdefault(subject, {"@id": subject})
        if triple.predicate.value == _RDF_TYPE and type(triple.object).__name__ == "NamedNode":
            node.setdefault("@type", []).append(_compact(triple.object.value, prefixes))
            continue
        key = _compact(triple.predicate.value, prefixes)
        node.setdefault(key, []).append(_jsonld_value(triple.object, prefixes))
    used = {p: ns for p, ns in prefixes.items()}
    document = {"@context": used, "@graph": list(nodes.values())}
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")
