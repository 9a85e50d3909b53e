"""The rest of the site: landing and dataset pages, downloads, catalog, VoID, ontology, source text."""

from __future__ import annotations


from flask import Blueprint, render_template

from zaisei.rdf.namespaces import ALL, prologue
from zaisei.graph.iris import document_path, path
from zaisei.serving.web import charts, municipalities
from zaisei.serving.web.context import publication
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.views.files import listing
from zaisei.serving.web.present import language, pick

blueprint = Blueprint("datasets", __name__)
ACCOUNTS = prologue("zs", "skos", "obeu-dimension") + """
SELECT ?account ?year ?amount WHERE {
  ?figure a zs:AccountFigure ; zs:budget ?budget ; zs:account ?account ; zs:amount ?amount ;
          obeu-dimension:fiscalPeriod ?period .
  ?account skos:broader ?total .
  BIND(STRAFTER(STR(?period), "/fiscal-year/") AS ?year)
} ORDER BY DESC(?amount)
"""
PRIORITIES = prologue("zs", "skos") + """
SELECT ?priority ?parent ?amount ?order WHERE {
  ?figure a zs:PriorityFigure ; zs:budget ?budget ; zs:priority ?priority ; zs:amount ?amount .
  OPTIONAL { ?priority skos:broader ?parent }
  OPTIONAL { ?priority zs:order ?order }
} ORDER BY ?parent ?order
"""


@blueprint.route("/")
def landing():
    lang = language()
    return render_template("landing.html", lang=lang, index=municipalities.index(lang), path="/")


def _dataset_view(key: str, lang: str) -> dict:
    pub = publication()
    budget = pub.iri(path("budget", dataset=key))
    accounts = pub.select(ACCOUNTS, budget=budget)
    priorities = pub.select(PRIORITIES, budget=budget)
    names = pub.labels({r["account"].value for r in accounts} | {r["priority"].value for r in priorities} | {budget})
    return {
        "key": key, "title": pick(names.get(budget), lang, key), "budget": document_path(path("budget", dataset=key)),
        "accounts_chart": charts.accounts(accounts, names, lang, pub.local) if accounts else None,
        "priorities_chart": charts.priorities(priorities, names, lang, pub.local) if priorities else None,
        # A cited dataset holds no document text: its source page lists the tables it cites.
        "cited": bool(pub.select(prologue("zs") + "SELECT ?t WHERE { ?t a zs:CitedTable ; zs:budget ?budget } LIMIT 1",
                                 budget=budget)),
    }


@blueprint.route("/datasets/<key>")
def dataset(key: str):
    pub, lang = publication(), language()
    if key not in pub.datasets:
        return render_error(404, "Not Found", {"ja": f"データセット {key} はありません。", "en": f"No dataset {key}."})
    view = _dataset_view(key, lang)
    files = listing(key)
    return render_template("dataset.html", lang=lang, dataset=view, files=files, path=path("dataset-page", dataset=key),
                           schema_org=_schema_org(key, files))


def _schema_org(key: str, files) -> dict:
    pub = publication()
    rows = pub.select(prologue("dcterms") + """
        SELECT ?title ?description ?license WHERE { ?d dcterms:title ?title .
        OPTIONAL { ?d dcterms:description ?description } OPTIONAL { ?d dcterms:license ?license } }""",
                      d=pub.iri(path("dataset", dataset=key)))
    return {
        "@context": ALL["schema-context"], "@type": "Dataset", "@id": pub.iri(path("dataset", dataset=key)),
        "name": sorted({r["title"].value for r in rows}),
        "description": sorted({r["description"].value for r in rows if r["description"]}),
        "license": next((r["license"].value for r in rows if r["license"]), None),
        "distribution": [{"@type": "DataDownload", "contentUrl": f["url"], "encodingFormat": f["media"]} for f in files],
    }

