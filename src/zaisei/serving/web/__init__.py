"""The Flask application: Linked Data pages, documents, downloads and SPARQL.

An application factory (also runs under gunicorn: `gunicorn 'zaisei.serving.web:create_app()'`)
with one blueprint per kind of resource (views/). Only this package touches requests;
the SPARQL engine is an app resource (engine.init_app, engine.close_app).
"""

from __future__ import annotations

import datetime
import io
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from zaisei.rdf.formats import media_type
from zaisei.serving.published import Publication, PublicationError
from zaisei.settings import DEFAULTS
from zaisei.serving.web import engine, errors, fastpath
from zaisei.serving.web.encoding import gzip_response
from zaisei.serving.web.present import language_negotiated, localised
from zaisei.serving.web.views import BLUEPRINTS

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Everything is served from here: no CDN, no inline script.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def create_app(output: str | Path | None = None, publication: Publication | None = None, **settings) -> Flask:
    """Build the app over a published output folder (default: ./output), or over a publication
    already loaded from it."""
    app = Flask(__name__)
    config = {**DEFAULTS, **settings}
    app.config.update(ZAISEI=config, MAX_CONTENT_LENGTH=config["max_query_length"] * 4 + 4096)
    if publication is None:
        publication = Publication(Path(output or config["output"]), config["store"] and Path(config["store"]))
    app.extensions["zaisei"] = publication
    app.config["LAST_MODIFIED"] = last_modified(publication)
    app.jinja_env.filters["localised"] = localised
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    engine.init_app(app)
    errors.register(app)
    app.register_error_handler(PublicationError, _damaged)
    publication.integrity.verify_in_background()
    app.before_request(_refuse_large_bodies)
    app.after_request(_finish)
    # In front of Flask: plain SPARQL requests skip its per-request machinery (and so these
    # two hooks, whose effect it reproduces; tests/test_sparql_fastpath.py holds it to that).
    app.wsgi_app = fastpath.FastPath(app, app.wsgi_app)
    return app


def last_modified(publication: Publication) -> str:
    """Last-Modified of everything served: the datasets' own newest date, so a checkout or a
    mirror of output/ says the same as the original (the files' mtimes would not)."""
    if publication.modified:
        moment = datetime.datetime.fromisoformat(publication.modified).replace(tzinfo=datetime.UTC)
        return formatdate(moment.timestamp(), usegmt=True)
    return formatdate((publication.output / "build.json").stat().st_mtime, usegmt=True)


def _refuse_large_bodies() -> None:
    """413 for any request announcing a body over the limit, whatever the route or method.

    Flask checks MAX_CONTENT_LENGTH only when a view reads the body (/sparql does); every
    other route would answer 405 or 200 and ignore the upload. The WSGI server may still
    receive the body first (granian does not: the app sees the request before its body).
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    codings = [c.strip().lower() for c in request.headers.get("Transfer-Encoding", "").split(",") if c.strip()]
    if any(coding != "chunked" for coding in codings):   # RFC 9112 section 6.1
        raise NotImplementedTransferCoding()
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is {request.content_length} bytes; "
                                    f"this server accepts at most {limit}.")
    if codings and request.content_length is None and limit is not None:
        _read_chunked(limit)


def _read_chunked(limit: int) -> None:
    """A chunked body has no announced size: read at most limit + 1 bytes to know it (bounded),
    then hand the view what was read."""
    data = request.environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge(f"The request body is over {limit} bytes, the most this server accepts.")
    request.environ["wsgi.input"], request.environ["CONTENT_LENGTH"] = io.BytesIO(data), str(len(data))


class NotImplementedTransferCoding(HTTPException):
    code = 501
    description = "This server implements the chunked transfer coding only."


def _damaged(error: PublicationError):
    """A published file that no longer matches its checksum (or cannot be read): 503, never a traceback."""
    current_app.logger.error("damaged output: %s", error)
    body = errors.render_error(503, "Service Unavailable", f"The published output is damaged: {error}")
    return body


def _relative_location(response) -> None:
    """Redirects name a path here, never the request's Host (werkzeug writes its slash redirects
    absolute, from Host: a cacheable 308 to any host a client chose)."""
    location = response.headers.get("Location")
    if location and "//" in location:
        parts = urlsplit(location)
        if parts.netloc == request.host:
            response.headers["Location"] = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def _finish(response):
    """Headers every answer gets: Vary when the language was negotiated, security on HTML, CORS
    on data, gzip when asked."""
    _relative_location(response)
    if language_negotiated():
        response.vary.add("Accept-Language")
    if response.mimetype == media_type("html"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    else:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return gzip_response(response)
