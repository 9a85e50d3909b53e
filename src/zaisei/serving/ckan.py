"""The catalog as CKAN packages: what CKAN's read-only Action API answers, from the same DCAT graph.

CKAN-to-CKAN harvesters and the scripts people write with ckanapi read packages (datasets),
their resources (distributions) and organisations. Each package here is built from the DCAT
catalog the build wrote (the catalog graph of the publication), so the two never disagree:
name = dct:identifier, title and notes in English (the Japanese in title_ja / notes_ja), tags
from dcat:keyword, one resource per dcat:Distribution with its size and SHA-256, and the DCAT
fields CKAN has no column for (IRI, period, area, publisher) as extras, as ckanext-dcat does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from zaisei.graph.iris import path
from zaisei.rdf.namespaces import iri, prologue

# CKAN's licence register: CC BY 4.0 is "cc-by" there.
LICENCES = {"https://creativecommons.org/licenses/by/4.0/": ("cc-by", "Creative Commons Attribution")}
API_VERSION = 3
PROPERTIES = prologue("dcat", "dcterms", "rdfs", "foaf", "skos", "spdx") + """
SELECT ?d ?p ?o WHERE { GRAPH ?catalog { ?catalog dcat:dataset ?d . ?d ?p ?o } }
"""
DISTRIBUTIONS = prologue("dcat", "dcterms", "spdx") + """
SELECT ?d ?r ?p ?o WHERE { GRAPH ?catalog { ?catalog dcat:dataset ?d . ?d dcat:distribution ?r . ?r ?p ?o } }
"""
LABELS = prologue("dcat", "foaf", "skos", "rdfs", "spdx") + """
SELECT ?s ?label WHERE { GRAPH ?catalog {
  { ?s foaf:name ?label } UNION { ?s skos:prefLabel ?label } UNION { ?s rdfs:label ?label }
  UNION { ?s spdx:checksumValue ?label } UNION { ?s dcat:startDate ?label } } }
"""


class NotFound(Exception):
    """No package or organisation of that name."""


@dataclass(frozen=True)
class Query:
    """package_search's question: free text, field filters, the window."""

    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0


def packages(publication) -> dict[str, dict]:
    """{name: package} of every dataset of the catalog, in name order (computed once per publication)."""
    return _packages(publication, publication.version)


@functools.lru_cache(maxsize=4)
def _packages(publication, version: str) -> dict[str, dict]:
    catalog = publication.iri(path("catalog"))
    values = _grouped(publication.select(PROPERTIES, catalog=catalog), "d")
    resources = _resources(publication.select(DISTRIBUTIONS, catalog=catalog))
    labels = _labels(publication.select(LABELS, catalog=catalog))
    found = [_package(publication, dataset, props, resources.get(dataset, []), labels)
             for dataset, props in values.items()]
    return {package["name"]: package for package in sorted(found, key=lambda p: p["name"])}


def _grouped(rows, key: str) -> dict[str, dict[str, list]]:
    grouped: dict[str, dict[str, list]] = {}
    for row in rows:
        grouped.setdefault(row[key].value, {}).setdefault(row["p"].value, []).append(row["o"])
    return grouped


def _resources(rows) -> dict[str, list[dict]]:
    by_dataset: dict[str, dict[str, dict[str, list]]] = {}
    for row in rows:
        by_dataset.setdefault(row["d"].value, {}).setdefault(row["r"].value, {}).setdefault(
            row["p"].value, []).append(row["o"])
    return {dataset: [{"iri": r, **props} for r, props in sorted(found.items())] for dataset, found in by_dataset.items()}


def _labels(rows) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for row in rows:
        labels.setdefault(row["s"].value, {}).setdefault(getattr(row["label"], "language", "") or "", row["label"].value)
    return labels


def _text(terms: list, lang: str) -> str:
    """The literal in lang, else any."""
    chosen = [t.value for t in terms or [] if getattr(t, "language", None) == lang]
    return (chosen or [t.value for t in terms or []] or [""])[0]


def _one(props: dict, curie: str) -> str:
    values = props.get(iri(curie)) or []
    return values[0].value if values else ""


def _package(publication, dataset: str, props: dict, resources: list[dict], labels: dict) -> dict:
    name = _one(props, "dcterms:identifier")
    licence = _one(props, "dcterms:license") or next((_one(r, "dcterms:license") for r in resources), "")
    licence_id, licence_title = LICENCES.get(licence, ("other-open", "Other (Open)"))
    publisher = _one(props, "dcterms:publisher")
    tags = sorted({t.value for t in props.get(iri("dcat:keyword"), [])})
    package = {
        "id": dataset, "name": name, "type": "dataset", "state": "active", "private": False,
        "title": _text(props.get(iri("dcterms:title")), "en"), "title_ja": _text(props.get(iri("dcterms:title")), "ja"),
        "notes": _text(props.get(iri("dcterms:description")), "en"),
        "notes_ja": _text(props.get(iri("dcterms:description")), "ja"),
        "url": _one(props, "dcat:landingPage"), "license_id": licence_id, "license_title": licence_title,
        "license_url": licence,
        "metadata_created": _one(props, "dcterms:issued") + "T00:00:00",
        "metadata_modified": _one(props, "dcterms:modified") + "T00:00:00",
        "organization": _organization(publisher, labels), "owner_org": _org_name(publisher),
        "tags": [{"name": _tag(t), "display_name": t} for t in tags],
        "resources": [_resource(r, dataset, labels, i) for i, r in enumerate(resources)],
        "extras": _extras(dataset, props),
    }
    package.update(num_tags=len(package["tags"]), num_resources=len(package["resources"]))
    return package


def _tag(text: str) -> str:
    """CKAN tags allow letters, digits, spaces and -_.; Japanese letters are letters."""
    return re.sub(r"[^\w \-.]", "", text)[:100]


def _org_name(agent: str) -> str:
    return agent.rstrip("/").rsplit("/", 1)[-1]


def _organization(agent: str, labels: dict) -> dict:
    names = labels.get(agent, {})
    return {"id": agent, "name": _org_name(agent), "title": names.get("en") or next(iter(names.values()), ""),
            "type": "organization", "state": "active", "is_organization": True}


def _resource(props: dict, dataset: str, labels: dict, position: int) -> dict:
    url = _one(props, "dcat:downloadURL")
    media = _one(props, "dcat:mediaType").rsplit("/media-types/", 1)[-1]
    checksum = _one(props, "spdx:checksum")
    file_type = _one(props, "dcterms:format").rsplit("/", 1)[-1]
    return {"id": props["iri"], "package_id": dataset, "position": position, "url": url,
            "name": _text(props.get(iri("dcterms:title")), "en"),
            "description": _text(props.get(iri("dcterms:description")), "en"), "format": file_type,
            "mimetype": media, "size": int(_one(props, "dcat:byteSize") or 0),
            "hash": "sha256:" + labels.get(checksum, {}).get("", "") if checksum else "",
            "last_modified": _one(props, "dcterms:modified") + "T00:00:00", "state": "active"}


def _extras(dataset: str, props: dict) -> list[dict]:
    pairs = [("uri", dataset), ("publisher_uri", _one(props, "dcterms:publisher")),
             ("spatial_uri", " ".join(sorted(t.value for t in props.get(iri("dcterms:spatial"), [])))),
             ("temporal_uri", _one(props, "dcterms:temporal")),
             ("language", " ".join(sorted(t.value for t in props.get(iri("dcterms:language"), [])))),
             ("issued", _one(props, "dcterms:issued")), ("modified", _one(props, "dcterms:modified")),
             ("provenance", _one(props, "dcterms:provenance"))]
    return [{"key": key, "value": value} for key, value in pairs if value]


def search(publication, query: Query) -> dict:
    """package_search: every package matching q (all its words, in title, notes, tags or name) and
    every fq filter (field:value, as CKAN's Solr fields name them), a window of them."""
    matching = [p for p in packages(publication).values() if _matches(p, query.q) and _filtered(p, query.fq)]
    window = matching[query.start:query.start + query.rows]
    return {"count": len(matching), "results": window, "sort": "name asc", "facets": {}, "search_facets": {}}


def _matches(package: dict, q: str) -> bool:
    if not q.strip() or q.strip() == "*:*":
        return True
    haystack = " ".join([package["name"], package["title"], package["title_ja"], package["notes"], package["notes_ja"],
                         *(t["display_name"] for t in package["tags"])]).lower()
    return all(word.lower() in haystack for word in q.split())


FIELDS = {"name": lambda p: [p["name"]], "organization": lambda p: [p["organization"]["name"]],
          "tags": lambda p: [t["display_name"] for t in p["tags"]], "license_id": lambda p: [p["license_id"]],
          "res_format": lambda p: [r["format"] for r in p["resources"]],
          "id": lambda p: [p["id"]]}


def _filtered(package: dict, fq: str) -> bool:
    for field, value in re.findall(r'([\w.]+):("[^"]*"|\S+)', fq or ""):
        if field not in FIELDS:
            raise ValueError(f"fq field {field!r} is not one this API filters on ({', '.join(sorted(FIELDS))})")
        if value.strip('"') not in FIELDS[field](package):
            return False
    return True


def organizations(publication) -> dict[str, dict]:
    """{name: organisation} of every publisher of a package."""
    found = {p["organization"]["name"]: p["organization"] for p in packages(publication).values()}
    return dict(sorted(found.items()))


def package(publication, name: str) -> dict:
    """One package by name or by IRI (its id)."""
    found = packages(publication)
    if name in found:
        return found[name]
    by_id = {p["id"]: p for p in found.values()}
    if name in by_id:
        return by_id[name]
    raise NotFound(f"no package named {name!r} (package_list gives the names)")
