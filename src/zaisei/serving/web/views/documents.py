"""The publication's documents: the DCAT catalog, VoID, the ontology and its terms."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, redirect, request

from zaisei.graph.iris import VOCAB
from zaisei.rdf.formats import media_type
from zaisei.rdf.render import render
from zaisei.rdf.store import StoreError, parse
from zaisei.serving.published import PublicationError
from zaisei.serving.web.context import publication
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import HTML, RDF_FORMATS, choose, split_suffix

blueprint = Blueprint("documents", __name__)


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
        return render_error(404, "Not Found", {"ja": f"{suffix} という形式のカタログはありません。",
                                                  "en": f"No catalog in a format named {suffix}."})
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
        return render_error(404, "Not Found", {"ja": f"語彙に zs:{term} という用語はありません。",
                                                  "en": f"No term zs:{term} in the vocabulary."})
    if fmt is None or fmt is HTML:
        return redirect(f"/def/#{quote(term, safe='')}", code=303)
    response = Response(render(triples, fmt.name), mimetype=fmt.media_type)
    response.vary.add("Accept")
    return response
