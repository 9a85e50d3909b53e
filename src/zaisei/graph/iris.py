"""Every IRI and URL path the project mints, in one place.

Things live at ``{base}/id/...`` and their documents at ``{base}/doc/...``
(Cool URIs: a 303 leads from one to the other). Ontology terms live in a
fixed namespace, independent of the base, so that the shapes and mappings
name them without templating and data from different publishers share them.
The mappings (SPARQL) build the same patterns with CONCAT; a test checks that
every IRI in a built graph matches a pattern declared here.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from zaisei.rdf.namespaces import CODES, ONTOLOGY, VOCAB  # noqa: F401 - named here too: the IRI module

# kind -> path under {base}; {dataset} and {key} are filled from the tables.
# Fixed-prefix kinds first: classify() tries them in this order, so a
# dataset may not be keyed catalog, code, date, structure...
PATTERNS = {
    "fiscal-year": "/id/fiscal-year/{year}",
    "instant": "/id/date/{date}",
    "organization": "/id/organization/{code}",
    "catalog": "/id/catalog",
    "series": "/id/series/{code}",
    "service": "/id/service/sparql",
    "software": "/id/software/{name}",
    "period": "/id/period/{start}/{end}",
    "contact": "/id/organization/{code}/contact",
    "union": "/id/catalog/all",
    "union-distribution": "/id/catalog/all/distribution/{format}",
    "union-checksum": "/id/catalog/all/distribution/{format}/checksum",
    "union-void-linkset": "/id/catalog/all/void/linkset/{target}/{name}",
    "union-void-partition": "/id/catalog/all/void/{partition}/{name}",
    "void-target": "/id/catalog/void/{target}",
    "source-view": "/source/{dataset}",
    "source-file": "/source/{dataset}/document.txt",
    "dataset": "/id/{dataset}",
    "budget": "/id/{dataset}/budget",
    "document": "/id/{dataset}/document",
    "document-checksum": "/id/{dataset}/document/checksum",
    "cube": "/id/{dataset}/cube/{key}",
    "scheme": "/id/{dataset}/scheme/{key}",
    "structure": "/id/{dataset}/structure/{key}",
    "component": "/id/{dataset}/structure/{key}/{component}",
    "dimension": "/id/{dataset}/dimension/{key}",
    "variable": "/id/{dataset}/variable/{table}/{key}",
    "account": "/id/{dataset}/account/{key}",
    "priority": "/id/{dataset}/priority/{key}",
    "account-figure": "/id/{dataset}/figure/account/{key}/{year}",
    # Revenue and expenditure by category (款): the dataset's own code lists, figures, changes.
    "revenue-category": "/id/{dataset}/revenue/{key}",
    "expenditure-category": "/id/{dataset}/expenditure/{key}",
    "category-figure": "/id/{dataset}/figure/{table}/{key}/{year}",
    "category-change": "/id/{dataset}/change/{table}/{key}",
    "priority-figure": "/id/{dataset}/figure/priority/{key}",
    "change": "/id/{dataset}/change/{key}",
    "policy-figure": "/id/{dataset}/policy-figure/{key}",
    "indicator": "/id/{dataset}/indicator/{key}",
    "facility": "/id/{dataset}/facility/{key}",
    "address": "/id/{dataset}/facility/{key}/address",
    "hours": "/id/{dataset}/opening-hours/{key}",
    "defect": "/id/{dataset}/defect/{key}",
    "distribution": "/id/{dataset}/distribution/{format}",
    "checksum": "/id/{dataset}/distribution/{format}/checksum",
    "provenance": "/id/{dataset}/provenance",
    "rights": "/id/{dataset}/rights",
    "build": "/id/{dataset}/build",
    # A build input is named by folder and stem: a suffix would read as a format (/doc/x.ttl).
    "build-input": "/id/{dataset}/build/{folder}/{name}",
    "build-input-checksum": "/id/{dataset}/build/{folder}/{name}/checksum",
    "void-linkset": "/id/{dataset}/void/linkset/{target}/{name}",
    "void-partition": "/id/{dataset}/void/{partition}/{name}",
    "quote": "/id/{dataset}/quote/{table}/{key}/{figure}",
    "selector": "/id/{dataset}/quote/{table}/{key}/{figure}/{selector}",
    # A cited dataset's provenance: the city's table and the cell a figure was typed in from.
    "cited-table": "/id/{dataset}/table/{table}",
    "table-cell": "/id/{dataset}/table/{table}/{row}/{column}",
}
# URL paths of pages and files served for people (no thing has these IRIs).
PAGES = {
    "home": "/",
    "dataset-page": "/datasets/{dataset}",
    "downloads": "/download/",
    "download-file": "/download/{file}",
    "sparql-page": "/sparql",
    "catalog-document": "/catalog",          # the DCAT catalog (RDF, or a page for browsers; ?page=N)
    "void-document": "/.well-known/void",
    "sitemap": "/sitemap.xml",
}
RESERVED_KEYS = frozenset(p.split("/")[2] for p in PATTERNS.values() if p.startswith("/id/") and not p.startswith("/id/{"))
_REGEXES = {kind: re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(p)) + "$")
            for kind, p in PATTERNS.items()}


def mint(base: str, kind: str, **parts: str) -> str:
    """The IRI of a thing: mint(base, "account", dataset="minato-2021", key="general")."""
    safe = {name: quote(str(value), safe="") for name, value in parts.items()}
    return base.rstrip("/") + PATTERNS[kind].format(**safe)


def path(kind: str, **parts: str) -> str:
    """The URL path of a thing or a page: path("budget", dataset="minato-2021") -> /id/minato-2021/budget.
    A `file` part keeps its slashes (a path under output/)."""
    safe = {name: quote(str(value), safe="/" if name == "file" else "") for name, value in parts.items()}
    return (PATTERNS.get(kind) or PAGES[kind]).format(**safe)


def id_space(base: str) -> str:
    """The prefix every thing's IRI starts with (VoID's uriSpace)."""
    return base.rstrip("/") + THINGS


def classify(base: str, iri: str) -> tuple[str, dict] | None:
    """The kind and parts of an IRI minted under base, or None."""
    if not iri.startswith(base.rstrip("/") + "/"):
        return None
    path = iri[len(base.rstrip("/")):]
    for kind, regex in _REGEXES.items():
        match = regex.match(path)
        if match:
            return kind, match.groupdict()
    return None


THINGS, DOCUMENTS = "/id/", "/doc/"   # where things and their documents live, under the base


def is_thing_path(url_path: str) -> bool:
    """True for the path of a thing (/id/...), which answers 303 to its document."""
    return url_path.startswith(THINGS)


def document_path(thing_path: str) -> str:
    """/id/x/y -> /doc/x/y: where a thing's description is served."""
    return DOCUMENTS + thing_path.removeprefix(THINGS)


def thing_path(document_path_: str) -> str:
    """/doc/x/y -> /id/x/y."""
    return THINGS + document_path_.removeprefix(DOCUMENTS)


def source_text(base: str, dataset: str) -> str:
    """URL of the readable view of a dataset's source document."""
    return mint(base, "source-view", dataset=dataset)


def code(scheme: str, key: str | None = None) -> str:
    """IRI of a national code list, or of one of its concepts: code("revenue", "local-tax")."""
    return f"{CODES}/{scheme}" + (f"/{quote(key, safe='')}" if key is not None else "")


def download(base: str, file: str) -> str:
    """URL of a published file under output/."""
    return base.rstrip("/") + path("download-file", file=file)


def sparql_endpoint(base: str) -> str:
    return base.rstrip("/") + path("sparql-page")
