"""The DCAT catalog for people (a page listing the datasets) and for harvesters of big
publications (the RDF paged with Hydra's PartialCollectionView, as ckanext-dcat reads it)."""

from __future__ import annotations

import math

from flask import Response, current_app, render_template

from zaisei.graph.iris import document_path, path
from zaisei.rdf.formats import media_type
from zaisei.rdf.namespaces import iri, prologue
from zaisei.rdf.terms import triple
from zaisei.serving.web.context import absolute, publication, settings
from zaisei.serving.web.present import language

DATASETS = prologue("dcat", "dcterms", "rdfs", "skos", "prov", "foaf") + """
SELECT ?d (SAMPLE(?t) AS ?title) (SAMPLE(?p) AS ?period) (GROUP_CONCAT(DISTINCT ?a; separator=" / ") AS ?areas)
       (SAMPLE(?s) AS ?source) WHERE {
  GRAPH ?catalog { ?catalog dcat:dataset ?d . ?d dcterms:title ?t FILTER(LANG(?t) = ?lang)
    OPTIONAL { ?d dcterms:temporal/rdfs:label ?p FILTER(LANG(?p) = ?lang) }
    OPTIONAL { ?d dcterms:spatial/skos:prefLabel ?a FILTER(LANG(?a) = ?lang) }
    OPTIONAL { ?d prov:wasDerivedFrom/dcterms:title ?s FILTER(LANG(?s) = ?lang) } }
} GROUP BY ?d ORDER BY ?d
"""
CATALOG = prologue("dcterms", "foaf") + """
SELECT ?title ?description ?publisher WHERE { GRAPH ?catalog {
  ?catalog dcterms:title ?title FILTER(LANG(?title) = ?lang)
  OPTIONAL { ?catalog dcterms:description ?description FILTER(LANG(?description) = ?lang) }
  OPTIONAL { ?catalog dcterms:publisher/foaf:name ?publisher FILTER(LANG(?publisher) = ?lang) } } }
"""


def catalog_page():
    """The catalog as a page: its datasets with their period, area and source document."""
    pub, lang = publication(), language()
    catalog = pub.iri(path("catalog"))
    bound = _bound(lang)
    rows = pub.select(DATASETS.replace("?lang", bound), catalog=catalog)
    head = (pub.select(CATALOG.replace("?lang", bound), catalog=catalog) or [{}])[0]
    datasets = [{"page": document_path(pub.local(r["d"].value) or ""), "title": r["title"].value,
                 "period": _text(r["period"]), "area": _text(r["areas"]), "source": _text(r["source"])}
                for r in rows]
    html = render_template("catalog.html", lang=lang, path=path("catalog-document"), datasets=datasets,
                           title=_text(head.get("title")), description=_text(head.get("description")),
                           publisher=_text(head.get("publisher")), void=path("void-document"))
    return Response(html, mimetype=media_type("html"))


def _bound(lang: str) -> str:
    return '"ja"' if lang == "ja" else '"en"'


def _text(term) -> str:
    return term.value if term is not None else ""


def paged(triples: list, number: int) -> list:
    """One page of the catalog: its datasets (and everything under their IRIs), the rest of the
    catalog, and Hydra's view of where the other pages are. A catalog of `catalog_page` datasets
    or fewer is one page, as written."""
    catalog, has, size = publication().iri(path("catalog")), iri("dcat:dataset"), settings()["catalog_page"]
    datasets = sorted(t.object.value for t in triples if t.subject.value == catalog and t.predicate.value == has)
    pages = max(1, math.ceil(len(datasets) / size))
    if len(datasets) <= size:
        return triples
    shown = set(datasets[(number - 1) * size:number * size])
    hidden = tuple(d for d in datasets if d not in shown)
    kept = [t for t in triples if not _about(t, hidden, catalog, has)]
    return kept + _hydra(catalog, number, pages, len(datasets))


def _about(t, hidden: tuple, catalog: str, has: str) -> bool:
    if t.subject.value == catalog and t.predicate.value == has:
        return t.object.value in hidden
    subject = t.subject.value
    return any(subject == d or subject.startswith(d + "/") for d in hidden)


def _hydra(catalog: str, number: int, pages: int, total: int) -> list:
    url = lambda n: absolute(current_app, f"{path('catalog-document')}?page={n}")   # noqa: E731 - this server's pages
    view = url(number)
    found = [triple(catalog, iri("hydra:view"), view), triple(view, iri("rdf:type"), iri("hydra:PartialCollectionView")),
             triple(view, iri("hydra:first"), url(1)), triple(view, iri("hydra:last"), url(pages))]
    found.append(triple(view, iri("hydra:totalItems"), total))
    if number > 1:
        found.append(triple(view, iri("hydra:previous"), url(number - 1)))
    if number < pages:
        found.append(triple(view, iri("hydra:next"), url(number + 1)))
    return found
