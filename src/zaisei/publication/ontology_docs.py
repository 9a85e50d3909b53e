"""HTML documentation of the ontology, written by the build beside its Turtle and JSON-LD.

Each term gets an anchor (#Budget, #amount), so /def/Budget can send a
browser to its entry; labels and comments in Japanese and English.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from zaisei.rdf.namespaces import curie, prologue
from zaisei.graph.iris import ONTOLOGY, VOCAB
from zaisei.rdf.store import GraphStore

QUERY = prologue("rdfs", "owl") + """
SELECT ?term ?kind ?label_ja ?label_en ?comment_ja ?comment_en
       (GROUP_CONCAT(DISTINCT STR(?super); separator=" ") AS ?supers)
       (GROUP_CONCAT(DISTINCT STR(?domain); separator=" ") AS ?domains)
       (GROUP_CONCAT(DISTINCT STR(?range); separator=" ") AS ?ranges)
WHERE {
  ?term a ?kind . FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
  FILTER(STRSTARTS(STR(?term), STR(?vocab)))
  OPTIONAL { ?term rdfs:label ?label_ja FILTER(LANG(?label_ja) = "ja") }
  OPTIONAL { ?term rdfs:label ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?term rdfs:comment ?comment_ja FILTER(LANG(?comment_ja) = "ja") }
  OPTIONAL { ?term rdfs:comment ?comment_en FILTER(LANG(?comment_en) = "en") }
  OPTIONAL { ?term rdfs:subClassOf|rdfs:subPropertyOf ?super }
  OPTIONAL { ?term rdfs:domain ?domain }
  OPTIONAL { ?term rdfs:range ?range }
} GROUP BY ?term ?kind ?label_ja ?label_en ?comment_ja ?comment_en ORDER BY ?kind ?term
"""


def terms(ontology: Path) -> list[dict]:
    """Every term of the ontology with its labels, comments, parents, domain and range."""
    store = GraphStore()
    store.load(ontology, "turtle")
    return terms_in(store)


def terms_in(store: GraphStore) -> list[dict]:
    """terms() of a store holding the ontology (the server's, among other graphs)."""
    rows = store.select(QUERY, vocab=VOCAB)
    return [{name: (row[name].value if row[name] is not None else "") for name in row} |
            {"name": row["term"].value[len(VOCAB):]} for row in rows]


def html(ontology: Path) -> str:
    """The documentation page: classes, then properties, each with an anchor."""
    env = Environment(loader=PackageLoader("zaisei.publication", "templates"), autoescape=select_autoescape())
    env.filters["short"] = curie
    env.filters["words"] = lambda text: text.split()
    return env.get_template("ontology.html").render(terms=terms(ontology), ontology=ONTOLOGY, vocab=VOCAB)
