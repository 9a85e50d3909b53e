"""RDF terms and triples made from IRIs and values (pyoxigraph's classes, behind names of ours)."""

from __future__ import annotations

import pyoxigraph as ox

from zaisei.rdf.namespaces import ALL, XSD_INTEGER, XSD_STRING, iri as expand_curie

def named_node(iri: str):
    """The IRI as a term, or None when it is not a valid IRI (e.g. from a hostile URL)."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None

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


def expand(name: str, prefixes: dict[str, str]) -> str:
    """A full IRI from a full IRI or a CURIE of prefixes."""
    if "://" in name:
        return name
    prefix, local = name.split(":", 1)
    if prefix in prefixes:
        return prefixes[prefix] + local
    return expand_curie(name) if prefix in ALL else name   # mailto:, urn:... stay as they are


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
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD_STRING)))
