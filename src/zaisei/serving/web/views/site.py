"""The site's own resources: robots.txt, the sitemap, health."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from zaisei.graph.iris import document_path, is_thing_path, path
from zaisei.rdf.formats import media_type
from zaisei.rdf.namespaces import ALL
from zaisei.serving.web import answers
from zaisei.serving.web.context import absolute, engine, publication

blueprint = Blueprint("site", __name__)
SITEMAPS = ALL["sitemaps"]


@blueprint.route("/robots.txt")
def robots():
    sitemap = absolute(current_app, path("sitemap"))   # robots.txt wants an absolute URL
    return Response(f"User-agent: *\nAllow: /\nDisallow: /sparql\nSitemap: {sitemap}\n", mimetype=media_type("text"))


@blueprint.route("/sitemap.xml")
def sitemap():
    pub = publication()
    rows = pub.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s")
    paths = [path("home"), path("downloads")] + [path("dataset-page", dataset=k) for k in pub.datasets]
    things = [pub.local(r["s"].value) or "" for r in rows]
    paths += [document_path(thing) for thing in things if is_thing_path(thing)]
    # The configured URL, never the request's Host.
    body = "".join(f"<url><loc>{absolute(current_app, p)}</loc></url>" for p in paths)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{SITEMAPS}">{body}</urlset>'
    return Response(xml, mimetype=media_type("sitemap"))


@blueprint.route("/healthz")
def healthz():
    """200 when output/ is intact; 503 with the problems otherwise. The same bytes while nothing
    changes (a probe may compare them); the engine's live state is /healthz/engine."""
    pub = publication()
    problems = pub.integrity.problems()
    body = {"status": "damaged" if problems else "ok", "datasets": pub.datasets, "triples": len(pub.store),
            "version": pub.version, "problems": problems}
    return body, 503 if problems else 200


@blueprint.route("/healthz/engine")
def engine_health():
    """The SPARQL engine now: workers, how they are sandboxed, deaths by cause, queue, failure."""
    status = {**engine().status(), "answer_cache": answers.cache(current_app).status()}
    return status, 503 if status.get("failure") else 200
