"""Published files: the download list, each file (checked against SHA256SUMS), the source text."""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_file

from zaisei.graph.iris import document_path, path
from zaisei.rdf.namespaces import prologue
from zaisei.rdf.formats import compressible, file_media_type
from zaisei.serving.published import PublicationError
from zaisei.serving.web.context import publication
from zaisei.serving.web.encoding import MAXIMUM, MINIMUM, compress, wants_gzip
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.present import language, pick

blueprint = Blueprint("files", __name__)


def listing(key: str | None = None) -> list[dict]:
    output, sums = publication().output, publication().sums
    paths = sorted(p for p in output.rglob("*") if p.is_file() and not p.name.startswith("."))
    rows = []
    for file in paths:
        name = file.relative_to(output).as_posix()
        if key and not name.startswith(key + "/"):
            continue
        rows.append({"name": name, "url": path("download-file", file=name), "size": file.stat().st_size,
                     "sha256": sums.get(name, ""), "media": _media(file), "note": _note(file.name)})
    return rows


def _note(name: str) -> str:
    """A word for readers beside the files they are most likely to want."""
    if name.endswith(".xlsx"):
        return "Excel で開けます" if language() == "ja" else "opens in Excel"
    return ""


def _media(path: Path) -> str:
    return file_media_type(path.name) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@blueprint.route("/download/")
def downloads():
    return render_template("downloads.html", lang=language(), files=listing(), path="/download/")


@blueprint.route("/download/<path:name>")
def download(name: str):
    """A published file, as a CDN would want it: the ETag is its published SHA-256 (the same
    from any checkout or mirror), Last-Modified the datasets' own date, gzip for clients that
    take it (compressed once per file version and kept), ranges of the plain bytes."""
    file = _inside_output(name)
    if file is None:
        return render_error(404, "Not Found", {"ja": f"ファイル {name} はありません。", "en": f"No file {name}."})
    relative = file.relative_to(publication().output).as_posix()
    problem = publication().integrity.problem(relative)
    if problem:   # never send a file that is not the one whose checksum was published
        raise PublicationError(problem)
    digest = publication().sums.get(relative)
    if digest and _gzip_wanted(file):
        response = Response(_compressed(relative, digest, file), mimetype=_media(file))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.set_etag(f"sha256-{digest}-gzip")
    else:
        response = send_file(file, mimetype=_media(file), conditional=False, etag=False)
        response.set_etag(f"sha256-{digest}") if digest else response.add_etag()
        response.vary.add("Accept-Encoding")
    response.headers["Last-Modified"] = current_app.config["LAST_MODIFIED"]
    response.cache_control.public, response.cache_control.max_age = True, 300
    if file.name.endswith((".gz", ".xlsx")):
        response.headers["Content-Disposition"] = f'attachment; filename="{file.name}"'
    if response.headers.get("Content-Encoding"):
        return response.make_conditional(request)
    return response.make_conditional(request, accept_ranges=True, complete_length=file.stat().st_size)


def _gzip_wanted(file: Path) -> bool:
    """gzip for a client that takes it, a compressible type, a size worth it; never with Range."""
    size = file.stat().st_size
    return (wants_gzip(request.headers.get("Accept-Encoding")) and "Range" not in request.headers
            and compressible(_media(file)) and MINIMUM <= size <= MAXIMUM)


@functools.lru_cache(maxsize=64)
def _compressed(relative: str, digest: str, file: Path) -> bytes:
    """A file's gzip encoding, made once per file version (the digest is part of the key)."""
    return compress(file.read_bytes())


def _inside_output(name: str) -> Path | None:
    """The file under output/ that name denotes, or None: never a path outside it."""
    if "\x00" in name or "\\" in name:
        return None
    root = publication().output.resolve()
    candidate = (root / name).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file() or candidate.name.startswith("."):
        return None
    return candidate


# The tables of the city's a cited dataset was typed in from (it holds no document text).
CITED_TABLES = prologue("zs", "dcterms") + """
SELECT ?table ?unit ?rows ?page WHERE {
  ?table a zs:CitedTable ; zs:budget ?budget ; zs:printedUnit ?unit ; zs:rowCount ?rows ; dcterms:source ?page .
} ORDER BY ?table
"""


def _cited(key: str, lang: str):
    """The source page of a cited dataset: its tables, each with its unit, rows and web page."""
    pub = publication()
    rows = pub.select(CITED_TABLES, budget=pub.iri(path("budget", dataset=key)))
    if not rows:
        return None
    dataset, text = pub.iri(path("dataset", dataset=key)), pub.iri(path("document", dataset=key))
    names = pub.labels([dataset, text] + [r["table"].value for r in rows])
    tables = [{"caption": pick(names.get(r["table"].value), lang, r["table"].value), "unit": r["unit"].value,
               "rows": r["rows"].value, "page": r["page"].value,
               "href": document_path(pub.local(r["table"].value) or "")} for r in rows]
    return render_template("cited.html", lang=lang, key=key, tables=tables, path=path("source-view", dataset=key),
                           title=pick(names.get(dataset), lang, key), document=pick(names.get(text), lang, key))


@blueprint.route("/source/<key>")
def source(key: str):
    document = _inside_output(f"{key}/document.txt")
    lang = language()
    cited = _cited(key, lang) if document is None and key in publication().datasets else None
    if cited is not None:
        return cited
    if document is None or key not in publication().datasets:
        return render_error(404, "Not Found", {"ja": f"{key} の原文はありません。", "en": f"No source document for {key}."})
    lines = publication().text(document.relative_to(publication().output).as_posix()).split("\n")
    pub = publication()
    dataset, text = pub.iri(path("dataset", dataset=key)), pub.iri(path("document", dataset=key))
    names = pub.labels([dataset, text])
    return render_template("source.html", lang=lang, key=key, lines=lines, path=path("source-view", dataset=key),
                           title=pick(names.get(dataset), lang, key), document=pick(names.get(text), lang, key))


@blueprint.route("/source/<key>/document.txt")
def source_text(key: str):
    return download(f"{key}/document.txt")
