"""/id/... (things) answer 303 to /doc/... (documents), which are content-negotiated."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request

from zaisei.rdf.namespaces import iri as curie, prologue
from zaisei.graph.iris import CODES, DOCUMENTS, THINGS, classify, document_path, path, source_text, thing_path
from zaisei.rdf.render import render
from zaisei.serving.web import municipalities
from zaisei.serving.web.encoding import will_gzip
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import DOCUMENT_FORMATS, HTML, choose, split_suffix
from zaisei.serving.web.present import ZS, Presenter, language, pick

blueprint = Blueprint("resources", __name__)

QUOTES = prologue("zs", "oa") + """
SELECT ?quote ?line ?line_end ?exact ?supports WHERE {
  ?this zs:source ?quote . ?quote zs:line ?line ; zs:lineEnd ?line_end ; oa:hasSelector ?selector .
  ?selector oa:exact ?exact . OPTIONAL { ?quote zs:supports ?supports }
} ORDER BY ?line ?quote
"""
# A cited figure's source: the cell of the city's table it was typed in from (or, for a thing
# only a caption names, the table itself), with the table's unit and web page.
CELLS = prologue("zs", "dcterms") + """
SELECT ?table ?row ?column ?printed ?supports ?unit ?page WHERE {
  ?this zs:source ?source .
  { ?source a zs:TableCell ; zs:citedTable ?table ; zs:rowPosition ?row ; zs:column ?column ; zs:printed ?printed .
    OPTIONAL { ?source zs:supports ?supports } }
  UNION { ?source a zs:CitedTable . BIND(?source AS ?table) }
  ?table zs:printedUnit ?unit ; dcterms:source ?page .
} ORDER BY ?row ?column
"""
COMPARISON = prologue("zs") + """
SELECT ?change ?current ?previous ?amount ?rate WHERE {
  ?change zs:current ?current ; zs:previous ?previous ; zs:changeAmount ?amount .
  OPTIONAL { ?change zs:changeRate ?rate }
  FILTER(?current = ?this || ?previous = ?this || ?change = ?this)
}
"""
FIGURES = prologue("zs", "obeu-dimension") + """
SELECT ?figure ?amount ?value ?unit ?period WHERE {
  { ?figure zs:priority ?this } UNION { ?figure zs:account ?this } UNION { ?figure zs:about ?this }
  OPTIONAL { ?figure zs:amount ?amount } OPTIONAL { ?figure zs:value ?value ; zs:unit ?unit }
  OPTIONAL { ?figure obeu-dimension:fiscalPeriod ?period }
} ORDER BY DESC(?period) ?figure
"""
CHILDREN = prologue("zs", "skos", "schema") + """
SELECT ?child ?amount WHERE {
  { ?child skos:broader ?this } UNION { ?child schema:containedInPlace ?this }
  OPTIONAL { ?figure zs:priority|zs:account ?child ; zs:amount ?amount }
} ORDER BY DESC(?amount) ?child
"""
PARENTS = prologue("zs", "skos", "schema") + """
SELECT ?parent WHERE {
  { ?this zs:priority|zs:account|zs:about ?parent } UNION { ?this skos:broader|schema:containedInPlace ?parent }
}
"""


def publication():
    return current_app.extensions["zaisei"]


def _path(prefix: str, rest: str) -> str:
    """The request path as minted: Flask decoded %E4..., the IRIs keep it encoded."""
    return prefix + quote(rest, safe="/!$&'()*+,;=:@-._~")


@blueprint.route(THINGS + "<path:rest>")
def thing(rest: str):
    """303 See Other to the document describing the thing."""
    path = _path(THINGS, rest)
    if not publication().describe(publication().iri(path)).exists:
        return render_error(404, "Not Found", _no_resource(path))
    response = redirect(document_path(path) + _query_string(), code=303)
    response.vary.add("Accept")
    return response


def _no_resource(path: str) -> dict[str, str]:
    return {"ja": f"この公開データに {path} というリソースはありません。", "en": f"No resource {path} in this publication."}


def _query_string() -> str:
    return ("?" + request.query_string.decode("latin-1")) if request.query_string else ""


@blueprint.route(DOCUMENTS + "<path:rest>")
def document(rest: str):
    """The description of a thing, in the format of the suffix or the Accept header."""
    path, fmt = split_suffix(_path(DOCUMENTS, rest))
    pub = publication()
    page = request.args.get("page", "0")
    if not page.isascii() or not page.isdigit() or len(page) > 6:
        return render_error(400, "Bad Request", {"ja": f"page はページ番号です（{page!r} ではなく）。",
                                                  "en": f"page must be a page number, not {page!r}"})
    description = pub.describe(pub.iri(thing_path(path)), int(page))
    if not description.exists:
        return render_error(404, "Not Found", _no_resource(thing_path(path)))
    negotiated = fmt is None
    fmt = fmt or choose(request.headers.get("Accept"))
    if fmt is None:
        return not_acceptable(path)
    response = _html(description, path) if fmt is HTML else _rdf(description, fmt)
    return _finish(response, path, fmt, negotiated)


@blueprint.route("/code/<path:rest>")
def code(rest: str):
    """A national code list or one of its concepts (under iris.CODES), described
    from the code lists' graph: its IRI is its own, not under this publication's base."""
    path, fmt = split_suffix(_path("/code/", rest))
    description = publication().describe(CODES + path[len("/code"):])
    if not description.exists:
        return render_error(404, "Not Found", f"No code list or concept {path} in this publication.")
    negotiated = fmt is None
    fmt = fmt or choose(request.headers.get("Accept"))
    if fmt is None:
        return not_acceptable(path)
    response = _html(description, path) if fmt is HTML else _rdf(description, fmt)
    return _finish(response, path, fmt, negotiated)


def not_acceptable(path: str):
    formats = {f.media_type: path + f.suffix for f in DOCUMENT_FORMATS}
    return render_error(406, "Not Acceptable", "Available formats: " + ", ".join(formats), {"formats": formats})


def _rdf(description, fmt) -> Response:
    pub = publication()
    triples = description.triples + description.incoming + pub.label_triples(description)
    return Response(render(triples, fmt.name), mimetype=fmt.media_type)


def _finish(response: Response, path: str, fmt, negotiated: bool) -> Response:
    pub = publication()
    if negotiated:
        response.vary.add("Accept")
        response.headers["Content-Location"] = path + fmt.suffix
    links = [f'<{path}{f.suffix}>; rel="alternate"; type="{f.media_type}"' for f in DOCUMENT_FORMATS if f is not fmt]
    licence = _licence()
    if licence:
        links.append(f'<{licence}>; rel="license"')
    response.headers["Link"] = ", ".join(links)
    tag = hashlib.sha256(f"{pub.version}|{path}|{fmt.name}|{request.query_string!r}|{response.vary}".encode()).hexdigest()[:24]
    response.set_etag(tag + ("-gzip" if will_gzip(response) else ""))
    response.headers["Last-Modified"] = current_app.config["LAST_MODIFIED"]
    response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response.make_conditional(request)


def _licence() -> str | None:
    rows = publication().select(prologue("dcterms") + "SELECT ?l WHERE { ?d dcterms:license ?l } LIMIT 1")
    return rows[0]["l"].value if rows else None


def _html(description, path: str) -> Response:
    pub, lang = publication(), language()
    presenter = Presenter(pub, description.labels, lang)
    kind = classify(pub.base, description.iri)
    dataset = kind[1].get("dataset") if kind else None
    context = {
        "lang": lang, "path": path, "iri": description.iri,
        "title": pick(description.labels.get(description.iri), lang, presenter.label(description.iri)),
        "rows": presenter.rows(description.triples),
        "incoming": presenter.rows(description.incoming, incoming=True),
        "incoming_total": description.incoming_total,
        "quotes": _quotes(description.iri, dataset, presenter),
        "cells": _cells(description.iri, presenter),
        "comparison": _comparison(description.iri, presenter),
        "headline": _headline(description, presenter),
        "figures": _figures(description.iri, presenter),
        "children": _children(description.iri, presenter),
        "breadcrumbs": _breadcrumbs(description.iri, presenter, dataset),
        "municipality": municipalities.municipality(description.iri, lang),
        "formats": [(f.name, path + f.suffix) for f in DOCUMENT_FORMATS if f is not HTML],
    }
    response = Response(render_template("resource.html", **context), mimetype=HTML.media_type)
    response.vary.add("Accept-Language")
    return response


def _quotes(iri: str, dataset: str | None, presenter: Presenter) -> list[dict]:
    """The document's lines this thing was read from, each with what it supports, by name."""
    rows = publication().select(QUOTES, this=iri)
    view = source_text("", dataset) if dataset else None
    presenter.labels.update(publication().labels({r["supports"].value for r in rows if r["supports"]}))
    return [{"line": r["line"].value, "line_end": r["line_end"].value, "exact": r["exact"].value,
             "supports": presenter.label(r["supports"].value) if r["supports"] else "",
             "href": view} for r in rows]


def _cells(iri: str, presenter: Presenter) -> list[dict]:
    """The cited table cells this thing was transcribed from: table, row, printed text, citation."""
    rows = publication().select(CELLS, this=iri)
    named = {r["table"].value for r in rows} | {r["supports"].value for r in rows if r["supports"]}
    presenter.labels.update(publication().labels(named))
    return [{"table": presenter.label(r["table"].value), "table_href": presenter.href(r["table"].value),
             "row": r["row"].value if r["row"] else "", "printed": r["printed"].value if r["printed"] else "",
             "unit": r["unit"].value, "page": r["page"].value,
             "supports": presenter.label(r["supports"].value) if r["supports"] else ""} for r in rows]


def _headline(description, presenter: Presenter):
    """The thing's own amount or value, printed large at the top."""
    for triple in description.triples:
        if triple.predicate.value in (ZS + "amount", ZS + "changeAmount", ZS + "value"):
            unit = presenter.publication.store.literals(description.iri, ZS + "unit")
            if unit:
                return presenter.measure(triple.object.value, unit[0][1])
            return presenter.value(triple.predicate.value, triple.object)
    return None


def _figures(iri: str, presenter: Presenter) -> list[dict]:
    rows = publication().select(FIGURES, this=iri)
    labels = publication().labels({r["figure"].value for r in rows} | {r["period"].value for r in rows if r["period"]})
    presenter.labels.update(labels)
    out = []
    for row in rows:
        if row["amount"] is not None:
            value = presenter.money(row["amount"].value)
        elif row["value"] is not None:
            value = presenter.measure(row["value"].value, row["unit"].value)
        else:
            continue
        out.append({"href": presenter.href(row["figure"].value), "label": presenter.label(row["figure"].value),
                    "value": value})
    return out


def _children(iri: str, presenter: Presenter) -> list[dict]:
    rows = publication().select(CHILDREN, this=iri)
    presenter.labels.update(publication().labels({r["child"].value for r in rows}))
    return [{"href": presenter.href(r["child"].value), "label": presenter.label(r["child"].value),
             "value": presenter.money(r["amount"].value) if r["amount"] is not None else None} for r in rows]


def _comparison(iri: str, presenter: Presenter) -> dict | None:
    rows = publication().select(COMPARISON, this=iri)
    if not rows:
        return None
    row, pub = rows[0], publication()
    figures = {}
    for role in ("current", "previous"):
        node = row[role].value
        amount = pub.store.literals(node, curie("zs:amount"))
        figures[role] = {"href": presenter.href(node), "label": pick(pub.labels([node]).get(node), presenter.lang),
                         "amount": presenter.money(amount[0][1] if amount else "")}
    figures["change"] = presenter.value(curie("zs:changeAmount"), row["amount"])
    figures["rate"] = presenter.value(curie("zs:changeRate"), row["rate"]) if row["rate"] else None
    figures["change_href"] = presenter.href(row["change"].value)
    return figures


def _breadcrumbs(iri: str, presenter: Presenter, dataset: str | None) -> list[tuple[str, str]]:
    chain, current, seen = [], iri, {iri}
    for _ in range(4):
        rows = publication().select(PARENTS, this=current)
        parents = sorted(r["parent"].value for r in rows if r["parent"].value not in seen)
        if not parents:
            break
        current = parents[0]
        seen.add(current)
        label = pick(publication().labels([current]).get(current), presenter.lang, presenter.label(current))
        chain.append((label, presenter.href(current)))
    if dataset:
        budget = publication().iri(path("budget", dataset=dataset))
        chain.append((pick(publication().labels([budget]).get(budget), presenter.lang, dataset), path("dataset-page", dataset=dataset)))
    return list(reversed(chain))
