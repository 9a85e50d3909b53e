"""The publication's documents: the DCAT catalog, VoID, the ontology and its terms."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, redirect, request

from zaisei.graph.iris import VOCAB, document_path, path
from zaisei.serving.web.catalog_pages import catalog_page, paged
from zaisei.rdf.formats import media_type
from zaisei.rdf.render import render
from zaisei.rdf.store import StoreError, parse
from zaisei.serving.published import PublicationError
from zaisei.serving.web.context import publication
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import HTML, RDF_FORMATS, choose, split_suffix

blueprint = Blueprint("documents", __name__)


def _negotiated_file(stem: str, turtle: str, page=None, triples=None):
    """A published RDF file in the format asked for (by suffix or Accept); a browser that prefers
    HTML gets page() when there is one (else 406 naming the formats)."""
    _, fmt = split_suffix(request.path, RDF_FORMATS + (HTML,))
    fmt = fmt or choose(request.headers.get("Accept"), RDF_FORMATS + ((HTML,) if page else ()))
    if fmt is HTML and page:
        return _varied(page())
    if fmt is None or fmt is HTML:
        return render_error(406, "Not Acceptable", "Available: " + ", ".join(f.media_type for f in RDF_FORMATS))
    triples = (triples or _read)(turtle)
    response = Response(render(triples, fmt.name), mimetype=fmt.media_type)
    response.set_etag(f"{publication().version}-{stem}-{request.query_string.decode('latin-1')}-{fmt.name}")
    return _varied(response).make_conditional(request)


def _varied(response):
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def _read(name: str) -> list:
    try:
        return parse(publication().read(name), "turtle")
    except StoreError as exc:
        raise PublicationError(f"{publication().output / name}: corrupt ({exc})") from exc


@blueprint.route("/catalog")
@blueprint.route("/catalog.<suffix>")
def catalog(suffix: str | None = None):
    """The DCAT catalog: RDF for programs (paged with Hydra past `catalog_page` datasets), a page for browsers."""
    if suffix is not None and split_suffix(request.path, RDF_FORMATS + (HTML,))[1] is None:
        return render_error(404, "Not Found", f"No catalog in a format named {suffix}.")
    number = request.args.get("page", "1")
    if not number.isdigit() or int(number) < 1:
        return render_error(400, "Bad Request", f"page={number!r} is not a page number (1, 2, ...)")
    return _negotiated_file("catalog", "catalog.ttl", catalog_page, lambda name: paged(_read(name), int(number)))


@blueprint.route("/.well-known/void")
def void():
    """VoID: RDF for programs; a browser goes to the page of the union dataset it describes."""
    return _negotiated_file("void", "void.ttl", lambda: redirect(document_path(path("union")), code=303))


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
