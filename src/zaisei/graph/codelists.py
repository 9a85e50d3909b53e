"""The national code lists as RDF: one SKOS concept scheme per list, hierarchical
(skos:broader/narrower, and a qb:HierarchicalCodeList so cube tools can walk it), each
concept labelled ja/en and linked to the concepts it matches in other lists (COFOG)."""

from __future__ import annotations

from zaisei.graph.iris import CODES, code
from zaisei.rdf.namespaces import PREFIXES
from zaisei.rdf.terms import TripleSet, text_literal, typed_literal
from zaisei.sources.codelists import MATCHES, Concept, Scheme

GRAPH = CODES   # the named graph the server keeps them in
# OpenBudgets.eu's kinds of classification, as qb:concept of each list.
CLASSIFICATION = {"functional": "obeu:FunctionalClassification", "economic": "obeu:EconomicClassification",
                  "administrative": "obeu:AdministrativeClassification"}
XSD_STRING = PREFIXES["xsd"] + "string"


def triples(schemes: dict[str, Scheme]) -> set:
    g = TripleSet(PREFIXES)
    for scheme in schemes.values():
        _scheme(g, scheme)
        for concept in scheme.concepts.values():
            _concept(g, concept)
    return g.triples


def _scheme(g: TripleSet, scheme: Scheme) -> None:
    iri, described = code(scheme.name), scheme.description
    g.types(iri, "skos:ConceptScheme", "qb:HierarchicalCodeList")
    for predicate in ("skos:prefLabel", "rdfs:label", "dcterms:title"):
        g.texts(iri, predicate, {"ja": described["title_ja"], "en": described["title_en"]})
    g.texts(iri, "dcterms:description", {"ja": described["description_ja"], "en": described["description_en"]})
    g.add(iri, "dcterms:identifier", typed_literal(scheme.name, XSD_STRING))
    for source in described.get("sources", ()):
        g.add(iri, "dcterms:source", source)
    if described.get("classification") in CLASSIFICATION:
        g.add(iri, "rdfs:seeAlso", CLASSIFICATION[described["classification"]])
    g.add(iri, "qb:parentChildProperty", "skos:narrower")
    for key in scheme.top:
        g.add(iri, "skos:hasTopConcept", code(scheme.name, key))
        g.add(iri, "qb:hierarchyRoot", code(scheme.name, key))


def _concept(g: TripleSet, concept: Concept) -> None:
    iri = code(concept.scheme, concept.key)
    g.types(iri, "skos:Concept")
    g.add(iri, "skos:inScheme", code(concept.scheme))
    if not concept.broader:
        g.add(iri, "skos:topConceptOf", code(concept.scheme))
    for predicate in ("skos:prefLabel", "rdfs:label"):
        g.texts(iri, predicate, {"ja": concept.label_ja, "en": concept.label_en})
    g.add(iri, "skos:notation", typed_literal(concept.key, XSD_STRING))
    for parent in concept.broader:
        g.add(iri, "skos:broader", code(concept.scheme, parent))
        g.add(code(concept.scheme, parent), "skos:narrower", iri)
    for kind, scheme, key in concept.matches:
        g.add(iri, "skos:" + MATCHES[kind], code(scheme, key))
    if concept.note_en:
        g.add(iri, "skos:note", text_literal(concept.note_en, "en"))
