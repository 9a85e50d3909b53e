"""Every namespace the project names, once (as pySHACL's consts.py does).

PREFIXES is the prefix table of the published RDF (Turtle, TriG, RDF/XML, JSON-LD
contexts); `prologue()` writes the PREFIX lines of a SPARQL query from it, and
`iri()` a full IRI from a CURIE, so no module spells a namespace itself.
"""

from __future__ import annotations

ONTOLOGY = "https://w3id.org/zaisei/def"   # the ontology's IRI, independent of any publisher's base
VOCAB = ONTOLOGY + "/"                     # its terms
SHAPES = "https://w3id.org/zaisei/shapes/"
CODES = "https://w3id.org/zaisei/code"      # the national code lists, shared by every dataset and publisher

PREFIXES = {
    "zs": VOCAB,
    "qb": "http://purl.org/linked-data/cube#",
    "obeu-dimension": "http://data.openbudgets.eu/ontology/dsd/dimension/",
    "obeu-measure": "http://data.openbudgets.eu/ontology/dsd/measure/",
    "obeu-attribute": "http://data.openbudgets.eu/ontology/dsd/attribute/",
    "obeu": "http://data.openbudgets.eu/ontology/",
    "obeu-budgetphase": "http://data.openbudgets.eu/resource/codelist/budget-phase/",
    "obeu-operation": "http://data.openbudgets.eu/resource/codelist/operation-character/",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "unit": "http://qudt.org/vocab/unit/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "http://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "time": "http://www.w3.org/2006/time#",
    "ic": "http://imi.go.jp/ns/core/rdf#",
    "org": "http://www.w3.org/ns/org#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "adms": "http://www.w3.org/ns/adms#",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
}
# Namespaces the data names but its serialisations declare no prefix for.
OTHER = {
    "zsh": SHAPES,
    "csvw": "http://www.w3.org/ns/csvw",
    "entailment": "http://www.w3.org/ns/entailment/",
    "svg": "http://www.w3.org/2000/svg",
    "schema-context": "https://schema.org/",   # the context schema.org's JSON-LD is written with
    "sitemaps": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "adms-publishertype": "http://purl.org/adms/publishertype/",
    "adms-licencetype": "http://purl.org/adms/licencetype/",
    "iana-media": "http://www.iana.org/assignments/media-types/",
    "dcatap": "http://data.europa.eu/r5r/",
    "eu-authority": "http://publications.europa.eu/resource/authority/",
    "eu-language": "http://publications.europa.eu/resource/authority/language/",
    "eu-file-type": "http://publications.europa.eu/resource/authority/file-type/",
    "eu-frequency": "http://publications.europa.eu/resource/authority/frequency/",
    "eu-theme": "http://publications.europa.eu/resource/authority/data-theme/",
    "eu-availability": "http://publications.europa.eu/resource/authority/planned-availability/",
    "formats": "http://www.w3.org/ns/formats/",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "eu-country": "http://publications.europa.eu/resource/authority/country/",
}
ALL = {**PREFIXES, **OTHER}

RDF_TYPE = PREFIXES["rdf"] + "type"
XSD_STRING = PREFIXES["xsd"] + "string"
XSD_INTEGER = PREFIXES["xsd"] + "integer"
XSD_DECIMAL = PREFIXES["xsd"] + "decimal"
# The properties a thing's name is read from, in order of preference.
LABELS = (PREFIXES["skos"] + "prefLabel", PREFIXES["rdfs"] + "label", PREFIXES["schema"] + "name",
          PREFIXES["dcterms"] + "title")


def iri(curie: str) -> str:
    """The full IRI of a CURIE of ALL (zs:amount); a full IRI is returned as it is."""
    if "://" in curie:
        return curie
    prefix, _, local = curie.partition(":")
    return ALL[prefix] + local


def prologue(*names: str) -> str:
    """PREFIX lines for a SPARQL query, one per prefix name."""
    return "".join(f"PREFIX {name}: <{ALL[name]}>\n" for name in names)


def select(*names: str) -> dict[str, str]:
    """A sub-table of PREFIXES (for a serialisation that declares only these)."""
    return {name: ALL[name] for name in names}


def curie(full: str) -> str:
    """The CURIE of an IRI in a namespace of PREFIXES (the longest that fits), else the IRI."""
    best = max((ns for ns in PREFIXES.values() if full.startswith(ns) and len(full) > len(ns)), key=len, default=None)
    if best is None:
        return full
    prefix = next(name for name, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{full[len(best):]}"
