"""Which format a SPARQL request asks for: format=/output=/results= parameters, then Accept.

A request names a results format (for SELECT and ASK) and an RDF format (for CONSTRUCT
and DESCRIBE) at once: `formats()` gives both, from the format registry (rdf/formats.py).
"""

from __future__ import annotations

from zaisei.rdf.formats import Format, of_kind
from zaisei.serving.web.negotiate import RDF_FORMATS, choose

RESULT_FORMATS = of_kind("results")   # json, xml, csv, tsv: the order of preference


MEDIA = {f.name: f.media_type for f in of_kind("results", "graph", "dataset")}


# Generic media types mean SPARQL results here, not JSON-LD / RDF/XML as for documents.
RESULT_ALIASES = {alias: f.media_type for f in RESULT_FORMATS for alias in f.aliases}


# Clients that only ever ask for SPARQL results get the same syntax family for a graph.
_GRAPH_FOR = {"json": "jsonld", "xml": "rdfxml"}


def _pair(fmt) -> tuple[str | None, str | None]:
    """(results format, RDF format) a format asks for."""
    return (fmt.name, _GRAPH_FOR.get(fmt.name)) if fmt.kind == "results" else (None, fmt.name)


# format= / output= / results= values (SPARQLWrapper sends all three): name -> (results format, RDF format).
PARAMETER_FORMATS = {
    **{value: _pair(f) for f in RESULT_FORMATS + RDF_FORMATS for value in f.parameters},
    **{f.media_type: (f.name, None) for f in RESULT_FORMATS}, **{f.media_type: (None, f.name) for f in RDF_FORMATS},
    **{alias: (f.name, None) for f in RESULT_FORMATS for alias in f.aliases},
}


# The Accept headers SPARQL clients send most, answered without parsing (a measured ~40 us each).
COMMON_ACCEPT = {f.media_type: _pair(f) for f in RESULT_FORMATS + RDF_FORMATS}


def formats(params, accept: str | None) -> tuple[str | None, str | None]:
    """(results format, RDF format): format/output/results parameters first, then Accept."""
    explicit = (None, None)
    for name in ("format", "output", "results"):
        # `in` first: a missing key costs MultiDict.get an exception (~3 us each)
        value = params.get(name, "").strip().lower() if name in params else ""
        if value in PARAMETER_FORMATS:
            explicit = PARAMETER_FORMATS[value]
            break
    if accept in COMMON_ACCEPT and explicit == (None, None):
        return COMMON_ACCEPT[accept]
    results = explicit[0] or _name(choose(results_accept(accept), RESULT_FORMATS))
    rdf = explicit[1] or _name(choose(accept, RDF_FORMATS))
    # Clients that only ever ask for SPARQL results (roqet asks XML even for CONSTRUCT) get the
    # same syntax family for a graph: RDF/XML for XML, JSON-LD for JSON.
    return results, rdf or {"xml": "rdfxml", "json": "jsonld"}.get(results or "")


def _name(fmt: Format | None) -> str | None:
    return fmt.name if fmt else None


def results_accept(accept: str | None) -> str | None:
    """The Accept header with generic JSON / XML media types read as SPARQL results."""
    if not accept:
        return accept
    parts = []
    for part in accept.split(","):
        media, sep, rest = part.strip().partition(";")
        parts.append(RESULT_ALIASES.get(media.strip().lower(), media.strip()) + sep + rest)
    return ",".join(parts)
