"""Every format the project reads, writes or serves, registered once (as rdflib's plugin.py does).

One entry per format: our name for it, its media type (and the others clients send
for it), its file suffix, what it holds (a graph, a dataset of graphs, SPARQL results,
a page, a file), the names pyoxigraph and rdflib give it, its W3C format IRI, the
format=… values SPARQL clients send, and whether it is worth compressing. Every table
of formats elsewhere is a view of this one.
"""

from __future__ import annotations

from dataclasses import dataclass

W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    suffix: str
    kind: str                          # graph, dataset, results, page, file
    aliases: tuple[str, ...] = ()      # other media types that mean this format
    parameters: tuple[str, ...] = ()   # format= / output= / results= values (SPARQL protocol clients)
    oxigraph: str | None = None        # pyoxigraph's RdfFormat / QueryResultsFormat member
    rdflib: str | None = None          # rdflib's parser and serializer name
    w3c: str | None = None             # local name under http://www.w3.org/ns/formats/
    compressible: bool = True
    other_suffixes: tuple[str, ...] = ()   # further suffixes files in this format are read by

    @property
    def iri(self) -> str | None:
        return W3C_FORMATS + self.w3c if self.w3c else None


REGISTRY = (
    Format("turtle", "text/turtle", ".ttl", "graph", ("application/x-turtle",), ("turtle", "ttl", "n3"),
           "TURTLE", "turtle", "Turtle", other_suffixes=(".turtle", ".n3")),
    Format("jsonld", "application/ld+json", ".jsonld", "graph", ("application/json",), ("json-ld", "jsonld"),
           "JSON_LD", "json-ld", "JSON-LD", other_suffixes=(".json",)),
    Format("ntriples", "application/n-triples", ".nt", "graph", ("text/plain",), ("nt", "ntriples", "n-triples"),
           "N_TRIPLES", "nt", "N-Triples", other_suffixes=(".ntriples",)),
    Format("rdfxml", "application/rdf+xml", ".rdf", "graph", ("application/xml",), ("rdf", "rdf+xml", "rdfxml"),
           "RDF_XML", "xml", "RDF_XML", other_suffixes=(".xml", ".owl")),
    Format("trig", "application/trig", ".trig", "dataset", (), (), "TRIG", "trig", "TriG"),
    Format("nquads", "application/n-quads", ".nq", "dataset", (), (), "N_QUADS", "nquads", "N-Quads"),
    Format("json", "application/sparql-results+json", ".srj", "results", ("application/json",), ("json",),
           "JSON", None, "SPARQL_Results_JSON"),
    Format("xml", "application/sparql-results+xml", ".srx", "results", ("application/xml", "text/xml"), ("xml",),
           "XML", None, "SPARQL_Results_XML"),
    Format("csv", "text/csv", ".csv", "results", (), ("csv",), "CSV", None, "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", ".tsv", "results", (), ("tsv",), "TSV", None, "SPARQL_Results_TSV"),
    Format("html", "text/html", ".html", "page", ("application/xhtml+xml",)),
    Format("gzip", "application/gzip", ".gz", "file", compressible=False),
    Format("data-json", "application/json", ".json", "file"),
    Format("text", "text/plain", ".txt", "file"),
    Format("sitemap", "application/xml", ".xml", "file"),
    Format("svg", "image/svg+xml", ".svg", "file"),
    Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "file",
           compressible=False),
)
FORMATS = {f.name: f for f in REGISTRY}


def of_kind(*kinds: str) -> tuple[Format, ...]:
    """The formats holding one of these kinds of content, in registry order."""
    return tuple(f for f in REGISTRY if f.kind in kinds)


def rdf_file(suffix: str) -> Format | None:
    """The RDF format a file is read in, by its suffix (any of a format's suffixes)."""
    suffix = suffix.lower()
    return next((f for f in of_kind("graph", "dataset") if suffix == f.suffix or suffix in f.other_suffixes), None)


def media_type(name: str) -> str:
    return FORMATS[name].media_type


def by_suffix(suffix: str, kinds: tuple[str, ...] | None = None) -> Format | None:
    """The format a file suffix names (".ttl"), among the given kinds (default: any)."""
    return next((f for f in REGISTRY if f.suffix == suffix and (kinds is None or f.kind in kinds)), None)


def by_media_type(media: str, kinds: tuple[str, ...]) -> Format | None:
    """The format of a media type (or of one of its aliases), among the given kinds."""
    media = media.lower()
    return next((f for f in REGISTRY if f.kind in kinds and (f.media_type == media or media in f.aliases)), None)


def file_media_type(name: str) -> str | None:
    """The media type to serve a published file by (its last suffix), or None."""
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    found = by_suffix(suffix, ("graph", "dataset", "page", "file")) or by_suffix(suffix)
    return found.media_type if found else None


def compressible(media: str) -> bool:
    """True when answers of this media type are worth gzip (text; RDF; results; JSON; SVG)."""
    media = media.lower()
    if media.startswith("text/"):
        return True
    return any(f.compressible and (f.media_type == media or media in f.aliases) for f in REGISTRY)
