"""The publication's documents: the DCAT catalog, VoID, the ontology (its page, in the reader's
language, and its RDF) and its terms."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request

from zaisei.graph.iris import ONTOLOGY, VOCAB, document_path, path
from zaisei.publication.ontology_docs import terms_in
from zaisei.rdf.namespaces import curie, iri
from zaisei.serving.web.catalog_pages import catalog_page, paged
from zaisei.rdf.formats import media_type
from zaisei.rdf.render import render
from zaisei.rdf.store import StoreError, parse
from zaisei.serving.published import PublicationError
from zaisei.serving.web.context import publication
from zaisei.serving.web.errors import render_error
from zaisei.serving.web.negotiate import HTML, RDF_FORMATS, choose, split_suffix
from zaisei.serving.web.present import SUPPORTED_LANGUAGES, Presenter, language

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
    # The query string (?page=2) is part of the tag, quoted: a raw '"' makes no valid ETag.
    asked = quote(request.query_string.decode("latin-1"), safe="")
    response.set_etag(f"{publication().version}-{stem}-{asked}-{fmt.name}")
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
        return render_error(404, "Not Found", {"ja": f"{suffix} という形式のカタログはありません。",
                                                  "en": f"No catalog in a format named {suffix}."})
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
    """The vocabulary: its page in the reader's language, or the ontology as RDF."""
    fmt = choose(request.headers.get("Accept"))
    if fmt is not None and fmt is not HTML:
        return _negotiated_file("ontology", "ontology/zaisei.ttl")
    lang = language()
    return render_template("vocabulary.html", lang=lang, path="/def/", ontology=ONTOLOGY, vocab=VOCAB,
                           kinds=vocabulary(publication(), lang))


KINDS = (("owl:Class", "クラス", "Classes"), ("owl:ObjectProperty", "オブジェクト型の性質", "Object properties"),
         ("owl:DatatypeProperty", "データ型の性質", "Datatype properties"))


def vocabulary(pub, lang: str) -> list[dict]:
    """The ontology's terms by kind, named in lang; parents, domains and ranges as links."""
    found = terms_in(pub.store)
    names = {t["term"]: t["label_en" if lang == "en" else "label_ja"] or t["name"] for t in found}
    presenter = Presenter(pub, pub.labels({w for t in found for k in ("supers", "domains", "ranges")
                                           for w in t[k].split()}), lang)

    def linked(words: str) -> list[dict]:
        return [{"text": names.get(w) or presenter.label(w), "curie": curie(w),
                 "href": "#" + w[len(VOCAB):] if w.startswith(VOCAB) else w} for w in words.split()]

    return [{"title": ja if lang == "ja" else en, "terms": [
        {"name": t["name"], "label": names[t["term"]], "comment": t["comment_en" if lang == "en" else "comment_ja"],
         "other": t["label_ja" if lang == "en" else "label_en"], "supers": linked(t["supers"]),
         "domains": linked(t["domains"]), "ranges": linked(t["ranges"])} for t in found if t["kind"] == iri(kind)]}
        for kind, ja, en in KINDS]


@blueprint.route("/def/<term>")
def term(term: str):
    """A term: its entry in the HTML documentation, or its triples as RDF."""
    fmt = choose(request.headers.get("Accept"))
    triples = publication().store.outgoing(VOCAB + term)
    if not triples:   # also every name that is no IRI (a CR/LF would break the Location header)
        return render_error(404, "Not Found", {"ja": f"語彙に zs:{term} という用語はありません。",
                                                  "en": f"No term zs:{term} in the vocabulary."})
    if fmt is None or fmt is HTML:
        asked = request.args.get("lang")
        here = f"/def/?lang={asked}" if asked in SUPPORTED_LANGUAGES else "/def/"
        return redirect(f"{here}#{quote(term, safe='')}", code=303)
    response = Response(render(triples, fmt.name), mimetype=fmt.media_type)
    response.vary.add("Accept")
    return response
