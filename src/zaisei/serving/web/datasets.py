"""The rest of the site: landing and dataset pages, downloads, catalog, VoID, ontology, source text."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file

from zaisei.rdf.namespaces import prologue
from zaisei.graph.iris import VOCAB, document_path, path
from zaisei.serving.published import PublicationError
from zaisei.rdf.formats import file_media_type, media_type
from zaisei.rdf.render import render
from zaisei.rdf.store import StoreError, parse
from zaisei.serving.web import charts
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import RDF_FORMATS, HTML, choose, split_suffix
from zaisei.serving.web.present import language, pick
from zaisei.serving.web.sparql import public_url

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


def publication():
    return current_app.extensions["zaisei"]


@blueprint.route("/")
def landing():
    pub, lang = publication(), language()
    datasets = [_dataset_view(key, lang) for key in pub.datasets]
    return render_template("landing.html", lang=lang, datasets=datasets, path="/")


def _dataset_view(key: str, lang: str) -> dict:
    pub = publication()
    budget = pub.iri(path("budget", dataset=key))
    accounts = pub.select(ACCOUNTS, budget=budget)
    priorities = pub.select(PRIORITIES, budget=budget)
    names = pub.labels({r["account"].value for r in accounts} | {r["priority"].value for r in priorities} | {budget})
    return {
        "key": key, "title": pick(names.get(budget), lang, key), "budget": document_path(path("budget", dataset=key)),
        "accounts_chart": charts.accounts(accounts, names, lang),
        "priorities_chart": charts.priorities(priorities, names, lang, pub.local),
    }


@blueprint.route("/datasets/<key>")
def dataset(key: str):
    pub, lang = publication(), language()
    if key not in pub.datasets:
        return render_error(404, "Not Found", f"No dataset {key}.")
    view = _dataset_view(key, lang)
    files = _files(key)
    return render_template("dataset.html", lang=lang, dataset=view, files=files, path=path("dataset-page", dataset=key),
                           schema_org=_schema_org(key, files))


def _schema_org(key: str, files) -> dict:
    pub = publication()
    rows = pub.select(prologue("dcterms") + """
        SELECT ?title ?description ?license WHERE { ?d dcterms:title ?title .
        OPTIONAL { ?d dcterms:description ?description } OPTIONAL { ?d dcterms:license ?license } }""",
                      d=pub.iri(path("dataset", dataset=key)))
    return {
        "@context": "https://schema.org/", "@type": "Dataset", "@id": pub.iri(path("dataset", dataset=key)),
        "name": sorted({r["title"].value for r in rows}),
        "description": sorted({r["description"].value for r in rows if r["description"]}),
        "license": next((r["license"].value for r in rows if r["license"]), None),
        "distribution": [{"@type": "DataDownload", "contentUrl": f["url"], "encodingFormat": f["media"]} for f in files],
    }


def _files(key: str | None = None) -> list[dict]:
    output, sums = publication().output, publication().sums
    paths = sorted(p for p in output.rglob("*") if p.is_file() and not p.name.startswith("."))
    rows = []
    for file in paths:
        name = file.relative_to(output).as_posix()
        if key and not name.startswith(key + "/"):
            continue
        rows.append({"name": name, "url": path("download-file", file=name), "size": file.stat().st_size,
                     "sha256": sums.get(name, ""), "media": _media(file)})
    return rows


def _media(path: Path) -> str:
    return file_media_type(path.name) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@blueprint.route("/download/")
def downloads():
    return render_template("downloads.html", lang=language(), files=_files(), path="/download/")


@blueprint.route("/download/<path:name>")
def download(name: str):
    path = _inside_output(name)
    if path is None:
        return render_error(404, "Not Found", f"No file {name}.")
    problem = publication().integrity.problem(path.relative_to(publication().output).as_posix())
    if problem:   # never send a file that is not the one whose checksum was published
        raise PublicationError(problem)
    response = send_file(path, mimetype=_media(path), conditional=True, etag=True, max_age=300)
    if path.name.endswith(".gz"):
        response.headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
    return response


def _inside_output(name: str) -> Path | None:
    """The file under output/ that name denotes, or None: never a path outside it."""
    if "\x00" in name or "\\" in name:
        return None
    root = publication().output.resolve()
    candidate = (root / name).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file() or candidate.name.startswith("."):
        return None
    return candidate


def _negotiated_file(stem: str, turtle: str):
    path, fmt = split_suffix(request.path, RDF_FORMATS + (HTML,))
    fmt = fmt or choose(request.headers.get("Accept"), RDF_FORMATS)
    if fmt is None or fmt is HTML:
        return render_error(406, "Not Acceptable", "Available: " + ", ".join(f.media_type for f in RDF_FORMATS))
    try:
        triples = parse(publication().read(turtle), "turtle")
    except StoreError as exc:
        raise PublicationError(f"{publication().output / turtle}: corrupt ({exc})") from exc
    response = Response(render(triples, fmt.name), mimetype=fmt.media_type)
    response.vary.add("Accept")
    response.set_etag(f"{publication().version}-{stem}-{fmt.name}")
    return response.make_conditional(request)


@blueprint.route("/catalog")
@blueprint.route("/catalog.<suffix>")
def catalog(suffix: str | None = None):
    if suffix is not None and split_suffix(request.path, RDF_FORMATS + (HTML,))[1] is None:
        return render_error(404, "Not Found", f"No catalog in a format named {suffix}.")
    return _negotiated_file("catalog", "catalog.ttl")


@blueprint.route("/.well-known/void")
def void():
    return _negotiated_file("void", "void.ttl")


@blueprint.route("/def/")
@blueprint.route("/def")
def ontology():
    fmt = choose(request.headers.get("Accept"))
    if fmt is not None and fmt is not HTML:
        return _negotiated_file("ontology", "ontology/zaisei.ttl")
    if "ontology/index.html" in publication().sums or (publication().output / "ontology" / "index.html").exists():
        return Response(publication().read("ontology/index.html"), mimetype=media_type("html"))
    return redirect("/download/ontology/zaisei.ttl", code=303)


@blueprint.route("/def/<term>")
def term(term: str):
    """A term: its entry in the HTML documentation, or its triples as RDF."""
    fmt = choose(request.headers.get("Accept"))
    triples = publication().store.outgoing(VOCAB + term)
    if not triples:   # also every name that is no IRI (a CR/LF would break the Location header)
        return render_error(404, "Not Found", f"No term zs:{term} in the vocabulary.")
    if fmt is None or fmt is HTML:
        return redirect(f"/def/#{quote(term, safe='')}", code=303)
    response = Response(render(triples, fmt.name), mimetype=fmt.media_type)
    response.vary.add("Accept")
    return response


@blueprint.route("/source/<key>")
def source(key: str):
    document = _inside_output(f"{key}/document.txt")
    if document is None:
        return render_error(404, "Not Found", f"No source document for {key}.")
    lines = publication().text(document.relative_to(publication().output).as_posix()).split("\n")
    return render_template("source.html", lang=language(), key=key, lines=lines, path=path("source-view", dataset=key))


@blueprint.route("/source/<key>/document.txt")
def source_text(key: str):
    return download(f"{key}/document.txt")


@blueprint.route("/robots.txt")
def robots():
    sitemap = public_url(current_app) + "/sitemap.xml"   # robots.txt wants an absolute URL
    return Response(f"User-agent: *\nAllow: /\nDisallow: /sparql\nSitemap: {sitemap}\n", mimetype=media_type("text"))


@blueprint.route("/sitemap.xml")
def sitemap():
    pub = publication()
    rows = pub.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s")
    root = public_url(current_app)   # the configured URL, never the request's Host
    paths = [path("home"), path("downloads")] + [path("dataset-page", dataset=k) for k in pub.datasets]
    paths += [pub.local(r["s"].value).replace("/id/", "/doc/", 1) for r in rows if (pub.local(r["s"].value) or "").startswith("/id/")]
    body = "".join(f"<url><loc>{root}{p}</loc></url>" for p in paths)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
    return Response(xml, mimetype=media_type("sitemap"))


@blueprint.route("/healthz")
def healthz():
    """200 when output/ is intact and the engine can answer; 503 with the problems otherwise."""
    pub = publication()
    problems = pub.integrity.problems()
    engine = current_app.extensions["zaisei.sparql"]
    body = {"status": "damaged" if problems else "ok", "datasets": pub.datasets, "triples": len(pub.store),
            "version": pub.version, "problems": problems, "sparql": engine.status()}
    return body, 503 if problems else 200
