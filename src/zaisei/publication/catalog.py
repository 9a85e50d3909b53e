"""The DCAT catalog (DCAT-AP 3.0.0) and the VoID description of the publication.

``write()`` runs after every dataset's files are in the staging folder and
writes ``catalog.ttl``, ``catalog.jsonld`` and ``void.ttl`` beside them:

- a ``dcat:Catalog`` of one ``dcat:Dataset`` per dataset, one more for the
  union of all datasets (``all.trig``, ``all.nq.gz``), and the SPARQL
  ``dcat:DataService``; each city's datasets form a ``dcat:DatasetSeries``;
- one ``dcat:Distribution`` per published file, with its size and SHA-256
  read from the bytes just written;
- VoID statistics of every graph (classes, properties, partitions, links
  out), computed in void.py.

Every node has an IRI (no blank nodes). Every value comes from dataset.toml,
``data/catalog.toml``, the built triples or the written files, never from
the clock, and the renderers sort: the same input gives the same bytes.
DCAT-AP's range shapes need each cited vocabulary IRI (licence, language,
file type, theme, ...) typed in the catalog itself, so it is, with its label.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections import defaultdict
from importlib import resources
from pathlib import Path

from zaisei import __version__
from zaisei.graph.iris import ONTOLOGY, document_path, download, mint, source_text, sparql_endpoint
from zaisei.rdf.formats import media_type
from zaisei.rdf.namespaces import ALL, PREFIXES, select
from zaisei.rdf.render import render, render_sorted
from zaisei.graph.description import Entry, dataset_entries, fill, pair
from zaisei.rdf.terms import TripleSet, expand, text_literal, typed_literal
from zaisei.rdf.store import sort_key
from zaisei.publication.void import Publication as VoidPublication, void_triples

# Prefixes of the catalog files: the project's, plus the vocabularies only the
# catalog cites, so the Turtle stays readable.
CATALOG_PREFIXES = {
    **PREFIXES, **select("dcatap", "eu-language", "eu-file-type", "eu-frequency", "eu-theme", "eu-availability",
                         "eu-country", "adms-publishertype", "adms-licencetype", "gsp"),
}
IANA_MEDIA_TYPES, EU_AUTHORITY, FORMATS = ALL["iana-media"], ALL["eu-authority"], ALL["formats"]

# dcat:byteSize's datatype. DCAT 3 and DCAT-AP 3.0.0 (its text and its
# consolidated shapes) say xsd:nonNegativeInteger; the split html/shacl/shapes.ttl
# of 3.0.0 still says xsd:decimal (SEMICeu/DCAT-AP#399, #422). See docs/catalog.md.
BYTE_SIZE_DATATYPE = "xsd:nonNegativeInteger"


def build_inputs(project) -> list[tuple[str, Path]]:
    """The mapping and shape files every dataset is built with, by their path in the project."""
    files = sorted(p for folder in (project.mappings, project.shapes) for p in folder.rglob("*")
                   if p.is_file() and p.suffix in (".rq", ".ttl"))
    return [(f"{p.parent.name}/{p.name}", p) for p in files]


class CatalogError(Exception):
    """The catalog cannot describe something; problems say which file to edit."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def settings() -> dict:
    """The catalog's own description and vocabulary terms (data/catalog.toml)."""
    return tomllib.loads(resources.files("zaisei").joinpath("data/catalog.toml").read_text(encoding="utf-8"))


def _text(value: str, lang: str):
    return text_literal(value, lang)


def _typed(value, datatype: str):
    return typed_literal(str(value), expand(datatype, CATALOG_PREFIXES))


def _Graph() -> TripleSet:
    return TripleSet(CATALOG_PREFIXES)


# -- the catalog ----------------------------------------------------------------

class _Catalog:
    """Builds the DCAT triples; remembers which vocabulary terms were cited."""

    def __init__(self, base: str, target: Path, config: dict, sums: dict[str, str] | None = None,
                 publication: dict | None = None):
        self.base = base.rstrip("/")
        self.publication = publication or {}
        self.target = target
        self.config = config
        self.sums = sums or {}  # relative path -> sha256 the build already took
        self.g = _Graph()
        self.problems: list[str] = []
        catalog = mint(base, "catalog")
        self.catalog = catalog
        self.union = mint(base, "union")
        self.project = mint(base, "organization", code=self.publication["publisher"]["key"])
        self.service = mint(base, "service")

    # vocabulary terms, typed and labelled where they are cited
    def concept(self, iri: str, label_en: str, scheme: str, *classes: str) -> str:
        self.g.types(iri, "skos:Concept", *classes)
        self.g.add(iri, "skos:prefLabel", _text(label_en, "en"))
        self.g.add(iri, "skos:inScheme", scheme)
        self.scheme(scheme)
        return iri

    def scheme(self, iri: str) -> str:
        self.g.types(iri, "skos:ConceptScheme")
        self.g.add(iri, "dcterms:title", _text(self.config["schemes"][iri]["title_en"], "en"))
        return iri

    def term(self, name: str, *classes: str) -> str:
        term = self.config["terms"][name]
        return self.concept(term["iri"], term["label_en"], term["scheme"], *classes)

    def language(self, code: str, where: str) -> str | None:
        language = self.config["languages"].get(code)
        if language is None:
            self.problems.append(f"{where}: language {code!r} has no entry in src/zaisei/data/catalog.toml [languages]")
            return None
        return self.concept(f"{EU_AUTHORITY}language/{language['code']}", language["label_en"],
                            f"{EU_AUTHORITY}language", "dcterms:LinguisticSystem")

    def theme(self, code: str) -> str:
        return self.concept(f"{EU_AUTHORITY}data-theme/{code}", self.config["themes"][code],
                            f"{EU_AUTHORITY}data-theme")

    def licence(self, iri: str, where: str) -> str:
        entry = self.config["licences"].get(iri)
        if entry is None:
            self.problems.append(f"{where}: licence {iri} has no entry in src/zaisei/data/catalog.toml [licences]")
            return iri
        self.g.types(iri, "dcterms:LicenseDocument")
        self.g.texts(iri, "dcterms:title", pair(entry, "title"))
        self.g.add(iri, "dcterms:identifier", _typed(entry["identifier"], "xsd:string"))
        self.g.add(iri, "owl:versionInfo", _typed(entry["version"], "xsd:string"))
        self.g.add(iri, "dcterms:type", self.term(entry["type"]))
        return iri

    def standard(self, iri: str) -> str:
        entry = self.config["standards"][iri]
        self.g.types(iri, "dcterms:Standard")
        self.g.texts(iri, "dcterms:title", pair(entry, "title"))
        for path in entry.get("files", []):
            if (self.target / path).is_file():
                self.g.add(iri, "rdfs:seeAlso", download(self.base, path))
        return iri

    def document(self, url: str) -> str:
        self.g.types(url, "foaf:Document")
        return url

    # agents and places
    def city(self, entry: Entry) -> tuple[str, str]:
        """The publishing city as foaf:Agent, and its contact point."""
        publisher = entry.description["publisher"]
        code = publisher["lg_code"]
        org = mint(self.base, "organization", code=code)
        names = pair(publisher, "name")
        self.g.types(org, "foaf:Agent", "foaf:Organization")
        self.g.texts(org, "foaf:name", names)
        self.g.add(org, "dcterms:identifier", _typed(code, "xsd:string"))
        self.g.add(org, "dcterms:type", self.term("local_authority"))
        contact = mint(self.base, "contact", code=code)
        self.g.types(contact, "vcard:Organization", "vcard:Kind")
        self.g.texts(contact, "vcard:fn", names)
        if publisher.get("homepage"):
            self.g.add(org, "foaf:homepage", self.document(publisher["homepage"]))
            self.g.add(contact, "vcard:hasURL", publisher["homepage"])
        return org, contact

    def project_agent(self) -> tuple[str, str]:
        """The publisher of the datasets, the union, the service and the catalog: this project
        (publication.toml), and its contact point."""
        publisher = self.publication["publisher"]
        names, homepage = pair(publisher, "name"), publisher["homepage"]
        self.g.types(self.project, "foaf:Agent", "foaf:Organization")
        self.g.texts(self.project, "foaf:name", names)
        self.g.add(self.project, "foaf:homepage", self.document(homepage))
        self.g.add(self.project, "dcterms:type", self.term(publisher["type"]))
        contact = mint(self.base, "contact", code=publisher["key"])
        self.g.types(contact, "vcard:Organization", "vcard:Kind")
        self.g.texts(contact, "vcard:fn", names)
        self.g.add(contact, "vcard:hasURL", homepage)
        if publisher.get("email"):
            self.g.add(contact, "vcard:hasEmail", "mailto:" + publisher["email"])
        return self.project, contact

    def locations(self, entry: Entry) -> list[str]:
        """The municipality's area (e-Stat) and the country, each with its extent."""
        publisher, country = entry.description["publisher"], self.config["country"]
        found = [self.place(country["iri"], pair(country, "label"), country)]
        area = publisher.get("estat_area")
        if area:
            names = {"ja": publisher.get("prefecture_ja", "") + publisher["name_ja"], "en": publisher.get("name_en", "")}
            found.insert(0, self.place(area, names, publisher))
        return found

    def place(self, iri: str, names: dict, extent: dict) -> str:
        self.g.types(iri, "dcterms:Location")
        self.g.texts(iri, "skos:prefLabel", names)
        for name in ("bbox", "centroid"):
            if extent.get(name):
                self.g.add(iri, f"dcat:{name}", _typed(extent[name], "gsp:wktLiteral"))
        return iri

    def period(self, entry: Entry) -> str:
        """The time the data covers: every fiscal year it holds figures of (this one and the one
        before, when the document compares them)."""
        fiscal = entry.description["fiscal_year"]
        start, end = fiscal.get("previous_start", fiscal["start"]), fiscal["end"]
        period = mint(self.base, "period", start=start, end=end)
        self.g.types(period, "dcterms:PeriodOfTime")
        first = {lang: fiscal.get(f"previous_label_{lang}") for lang in ("ja", "en")}
        if "previous_label_en" not in fiscal and fiscal.get("previous"):
            first["en"] = f"FY{fiscal['previous']}"
        labels = {lang: f"{first[lang]}–{label}" if first.get(lang) else label
                  for lang, label in pair(fiscal, "label").items()}
        self.g.texts(period, "rdfs:label", labels)
        self.g.add(period, "dcat:startDate", _typed(start, "xsd:date"))
        self.g.add(period, "dcat:endDate", _typed(end, "xsd:date"))
        return period

    # distributions
    def distribution(self, owner: str, spec: dict, path: Path, relative: str, values: dict,
                     licence: str, issued: str, modified: str) -> None:
        g = self.g
        dist = f"{owner}/distribution/{spec['id']}"
        g.add(owner, "dcat:distribution", dist)
        g.types(dist, "dcat:Distribution")
        g.texts(dist, "dcterms:title", pair(spec, "title", values))
        g.texts(dist, "dcterms:description", pair(spec, "description", values))
        url = download(self.base, relative)
        g.types(url, "rdfs:Resource")
        g.add(dist, "dcat:downloadURL", url)
        g.add(dist, "dcat:accessURL", url)
        media = IANA_MEDIA_TYPES + spec["media_type"]
        g.types(media, "dcterms:MediaType")
        g.add(dist, "dcat:mediaType", media)
        if spec.get("compress"):
            compress = IANA_MEDIA_TYPES + spec["compress"]
            g.types(compress, "dcterms:MediaType")
            g.add(dist, "dcat:compressFormat", compress)
        g.add(dist, "dcterms:format", self.concept(
            f"{EU_AUTHORITY}file-type/{spec['file_type']}", self.config["file_types"][spec["file_type"]],
            f"{EU_AUTHORITY}file-type", "dcterms:MediaTypeOrExtent"))
        size, digest = self.measure(path, relative)
        g.add(dist, "dcat:byteSize", _typed(size, BYTE_SIZE_DATATYPE))
        checksum = f"{dist}/checksum"
        g.add(dist, "spdx:checksum", checksum)
        g.types(checksum, "spdx:Checksum")
        g.add(checksum, "spdx:algorithm", "spdx:checksumAlgorithm_sha256")
        g.add(checksum, "spdx:checksumValue", _typed(digest, "xsd:hexBinary"))
        g.types("spdx:checksumAlgorithm_sha256", "spdx:ChecksumAlgorithm")
        g.add(dist, "dcterms:license", licence)
        g.add(dist, "dcterms:issued", _typed(issued, "xsd:date"))
        g.add(dist, "dcterms:modified", _typed(modified, "xsd:date"))
        g.add(dist, "dcatap:availability", self.term("availability"))
        for standard in spec.get("conforms_to", []):
            g.add(dist, "dcterms:conformsTo", self.standard(standard))
        if spec.get("language"):
            language = self.language(spec["language"], "src/zaisei/data/catalog.toml")
            if language:
                g.add(dist, "dcterms:language", language)

    def measure(self, path: Path, relative: str) -> tuple[int, str]:
        """A file's size and sha256; a sum the build took is not taken again (GBs at scale)."""
        known = self.sums.get(relative)
        if known:
            return path.stat().st_size, known
        data = path.read_bytes()
        return len(data), hashlib.sha256(data).hexdigest()

    def files(self, owner: str, folder: Path, prefix: str, specs: list[dict], values: dict,
              licence: str, issued: str, modified: str, every_file: bool) -> None:
        """A distribution per file of specs found in folder; every_file: no other file may be there."""
        by_name = {fill(spec["name"], values): spec for spec in specs}
        if every_file:
            unknown = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in by_name)
            if unknown:
                self.problems.append(f"{folder}: no distribution described for {', '.join(unknown)}; "
                                     "add a [[files]] entry to src/zaisei/data/catalog.toml")
        for name, spec in sorted(by_name.items()):
            path = folder / name
            if path.is_file():
                self.distribution(owner, spec, path, f"{prefix}{name}", values, licence, issued, modified)

    # the resources
    def dataset(self, entry: Entry, series: str) -> None:
        g, d, description, values = self.g, entry.iri, entry.description, entry.values
        g.types(d, "dcat:Dataset")
        g.texts(d, "dcterms:title", pair(description, "title"))
        g.texts(d, "dcterms:description", pair(description, "description"))
        for lang in ("ja", "en"):
            for keyword in description.get(f"keywords_{lang}", []):
                g.add(d, "dcat:keyword", _text(keyword, lang))
        g.add(d, "dcterms:identifier", _typed(entry.key, "xsd:string"))
        publisher, contact = self.project_agent()
        g.add(d, "dcterms:publisher", publisher)
        g.add(d, "dcterms:creator", publisher)
        g.add(d, "dcat:contactPoint", contact)
        g.add(d, "dcterms:rights", self.rights(entry))
        for location in self.locations(entry):
            g.add(d, "dcterms:spatial", location)
        g.add(d, "dcterms:temporal", self.period(entry))
        for theme in self.config["catalog"]["themes"]:
            g.add(d, "dcat:theme", self.theme(theme))
        g.add(d, "dcterms:accrualPeriodicity", self.term("frequency", "dcterms:Frequency"))
        g.add(d, "dcat:inSeries", series)
        g.add(d, "dcterms:conformsTo", self.standard(ONTOLOGY))
        language = self.language(description.get("language", ""), f"{entry.key}/dataset.toml")
        if language:
            g.add(d, "dcterms:language", language)
        g.add(d, "dcterms:issued", _typed(description["issued"], "xsd:date"))
        g.add(d, "dcterms:modified", _typed(description["modified"], "xsd:date"))
        g.add(d, "dcat:landingPage", self.document(self.base + document_path(d[len(self.base):])))
        cited = entry.description.get("source", {}).get("kind") == "cited"
        # A quoted dataset's text is served; a cited one's source is the city's own page.
        g.add(d, "foaf:page", self.document(entry.description["source"]["page"] if cited
                                            else source_text(self.base, entry.key)))
        # Provenance: a statement saying how the figures were read, and the document they came from.
        provenance = f"{d}/provenance"
        g.types(provenance, "dcterms:ProvenanceStatement")
        g.texts(provenance, "rdfs:label", pair(self.config["provenance"], "cited_text" if cited else "text", values))
        g.add(d, "dcterms:provenance", provenance)
        document = self.source_document(entry)
        g.add(d, "prov:wasDerivedFrom", document)
        g.add(d, "prov:wasGeneratedBy", self.build_activity(entry, document))
        licence = self.licence(description["licence"], f"{entry.key}/dataset.toml")
        self.files(d, self.target / entry.key, f"{entry.key}/", self.config["files"], values,
                   licence, description["issued"], description["modified"], every_file=True)

    def rights(self, entry: Entry) -> str:
        """The licence decision and its reason, as words (dct:rights)."""
        rights = mint(self.base, "rights", dataset=entry.key)
        self.g.types(rights, "dcterms:RightsStatement")
        self.g.texts(rights, "rdfs:label", pair(self.publication["licence"], "rights"))
        return rights

    def source_document(self, entry: Entry) -> str:
        """The city's document the figures were read from: its creator and rights holder (the
        city), where the city publishes about it, its date, when its text was taken, and the
        SHA-256 of the text that was read."""
        g, source = self.g, entry.description.get("source", {})
        document = mint(self.base, "document", dataset=entry.key)
        city, _ = self.city(entry)
        g.types(document, "foaf:Document", "prov:Entity", "schema:MediaObject")
        g.texts(document, "dcterms:title", pair(source, "title"))
        for role in ("dcterms:creator", "dcterms:publisher", "dcterms:rightsHolder"):
            g.add(document, role, city)
        if source.get("page"):
            g.add(document, "foaf:page", self.document(source["page"]))
        if source.get("date"):
            kind = "xsd:gYearMonth" if len(source["date"]) == 7 else "xsd:date"
            g.add(document, "dcterms:date", _typed(source["date"], kind))
        if source.get("date_note"):
            g.add(document, "skos:note", _text(source["date_note"], "en"))
        if source.get("retrieved"):
            g.add(document, "schema:dateDownloaded", _typed(source["retrieved"], "xsd:date"))
        g.add(document, "schema:encodingFormat", _typed(source.get("format") or media_type("text"), "xsd:string"))
        text = self.target / entry.key / source.get("file", "document.txt")
        if text.is_file():  # a cited dataset holds no text of the city's to fingerprint
            self.checksum(document, text)
        return document

    def checksum(self, owner: str, path: Path) -> None:
        checksum = f"{owner}/checksum"
        self.g.add(owner, "spdx:checksum", checksum)
        self.g.types(checksum, "spdx:Checksum")
        self.g.add(checksum, "spdx:algorithm", "spdx:checksumAlgorithm_sha256")
        self.g.add(checksum, "spdx:checksumValue", _typed(hashlib.sha256(path.read_bytes()).hexdigest(), "xsd:hexBinary"))
        self.g.types("spdx:checksumAlgorithm_sha256", "spdx:ChecksumAlgorithm")

    def build_activity(self, entry: Entry, document: str) -> str:
        """How the dataset was made: by which software, from the document and which mapping
        and shape files; ended on the dataset's own date (no wall-clock time)."""
        g, activity = self.g, mint(self.base, "build", dataset=entry.key)
        g.types(activity, "prov:Activity")
        g.texts(activity, "rdfs:label", {"en": f"zaisei build of {entry.key}", "ja": f"{entry.key} の zaisei による構築"})
        g.add(activity, "prov:used", document)
        g.add(activity, "prov:wasAssociatedWith", self.software())
        g.add(activity, "prov:endedAtTime", _typed(entry.description["modified"] + "T00:00:00Z", "xsd:dateTime"))
        for relative, path in self.inputs:
            folder, _, name = relative.partition("/")
            used = mint(self.base, "build-input", dataset=entry.key, folder=folder, name=Path(name).stem)
            g.types(used, "prov:Entity")
            g.add(used, "dcterms:title", _typed(relative, "xsd:string"))
            self.checksum(used, path)
            g.add(activity, "prov:used", used)
        return activity

    def software(self) -> str:
        software = mint(self.base, "software", name="zaisei")
        self.g.types(software, "prov:SoftwareAgent")
        self.g.add(software, "foaf:name", _typed("zaisei", "xsd:string"))
        self.g.add(software, "schema:softwareVersion", _typed(__version__, "xsd:string"))
        return software

    def series(self, code: str, members: list[Entry]) -> str:
        g, first = self.g, members[0]
        series = mint(self.base, "series", code=code)
        g.types(series, "dcat:DatasetSeries")
        g.texts(series, "dcterms:title", pair(self.config["series"], "title", first.values))
        g.texts(series, "dcterms:description", pair(self.config["series"], "description", first.values))
        publisher, contact = self.project_agent()
        g.add(series, "dcterms:publisher", publisher)
        g.add(series, "dcat:contactPoint", contact)
        g.add(series, "dcterms:accrualPeriodicity", self.term("frequency", "dcterms:Frequency"))
        for location in self.locations(first):
            g.add(series, "dcterms:spatial", location)
        g.add(series, "dcterms:issued", _typed(min(m.description["issued"] for m in members), "xsd:date"))
        g.add(series, "dcterms:modified", _typed(max(m.description["modified"] for m in members), "xsd:date"))
        return series

    def union_dataset(self, entries: list[Entry], licence: str) -> None:
        g, u, union = self.g, self.union, self.config["union"]
        g.types(u, "dcat:Dataset")
        g.texts(u, "dcterms:title", pair(union, "title"))
        g.texts(u, "dcterms:description", pair(union, "description"))
        for lang in ("ja", "en"):
            for keyword in union[f"keywords_{lang}"]:
                g.add(u, "dcat:keyword", _text(keyword, lang))
        g.add(u, "dcterms:identifier", _typed(union["key"], "xsd:string"))
        publisher, contact = self.project_agent()
        g.add(u, "dcterms:publisher", publisher)
        g.add(u, "dcat:contactPoint", contact)
        for theme in self.config["catalog"]["themes"]:
            g.add(u, "dcat:theme", self.theme(theme))
        g.add(u, "dcterms:conformsTo", self.standard(ONTOLOGY))
        for entry in entries:
            g.add(u, "dcterms:hasPart", entry.iri)
            g.add(u, "dcterms:temporal", self.period(entry))
            for location in self.locations(entry):
                g.add(u, "dcterms:spatial", location)
            language = self.language(entry.description.get("language", ""), f"{entry.key}/dataset.toml")
            if language:
                g.add(u, "dcterms:language", language)
        issued = min(e.description["issued"] for e in entries)
        modified = max(e.description["modified"] for e in entries)
        g.add(u, "dcterms:issued", _typed(issued, "xsd:date"))
        g.add(u, "dcterms:modified", _typed(modified, "xsd:date"))
        # Only the union's own files: the top also holds the ontology, the catalog, build.json...
        self.files(u, self.target, "", self.config["union_files"], {}, licence, issued, modified, every_file=False)

    def data_service(self, served: list[str], licence: str) -> None:
        g, s, service = self.g, self.service, self.config["service"]
        endpoint = sparql_endpoint(self.base)
        g.types(s, "dcat:DataService")
        g.texts(s, "dcterms:title", pair(service, "title"))
        g.texts(s, "dcterms:description", pair(service, "description"))
        for lang in ("ja", "en"):
            for keyword in service[f"keywords_{lang}"]:
                g.add(s, "dcat:keyword", _text(keyword, lang))
        g.types(endpoint, "rdfs:Resource")
        g.add(s, "dcat:endpointURL", endpoint)
        # The endpoint answers a GET without a query with its SPARQL service description.
        g.add(s, "dcat:endpointDescription", endpoint)
        for standard in service["conforms_to"]:
            g.add(s, "dcterms:conformsTo", self.standard(standard))
        publisher, contact = self.project_agent()
        g.add(s, "dcterms:publisher", publisher)
        g.add(s, "dcat:contactPoint", contact)
        for theme in self.config["catalog"]["themes"]:
            g.add(s, "dcat:theme", self.theme(theme))
        g.add(s, "dcterms:license", licence)
        for dataset in served:
            g.add(s, "dcat:servesDataset", dataset)

    def build(self, entries: list[Entry]) -> None:
        g, c, catalog = self.g, self.catalog, self.config["catalog"]
        licences = {e.description["licence"] for e in entries}
        if len(licences) != 1:
            self.problems.append("datasets under different licences (" + ", ".join(sorted(licences)) + "): "
                                 "the union files all.trig and all.nq.gz need one licence decided for them")
        union_licence = self.licence(sorted(licences)[0], "dataset.toml")
        by_city: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_city[entry.description["publisher"]["lg_code"]].append(entry)
        series = {code: self.series(code, members) for code, members in sorted(by_city.items())}
        for entry in entries:
            self.dataset(entry, series[entry.description["publisher"]["lg_code"]])
        self.union_dataset(entries, union_licence)

        g.types(c, "dcat:Catalog")
        g.texts(c, "dcterms:title", pair(catalog, "title"))
        g.texts(c, "dcterms:description", pair(catalog, "description"))
        publisher, _ = self.project_agent()
        g.add(c, "dcterms:publisher", publisher)
        g.add(c, "foaf:homepage", self.document(self.base + "/"))
        for code in catalog["languages"]:
            language = self.language(code, "src/zaisei/data/catalog.toml [catalog]")
            if language:
                g.add(c, "dcterms:language", language)
        g.add(c, "dcterms:license", self.licence(catalog["licence"], "src/zaisei/data/catalog.toml [catalog]"))
        g.add(c, "dcat:themeTaxonomy", self.scheme(f"{EU_AUTHORITY}data-theme"))
        for entry in entries:
            for location in self.locations(entry):
                g.add(c, "dcterms:spatial", location)
        datasets = [e.iri for e in entries] + [self.union]
        for dataset in datasets:
            g.add(c, "dcat:dataset", dataset)
        self.data_service(datasets, self.licence(catalog["licence"], "src/zaisei/data/catalog.toml [catalog]"))
        g.add(c, "dcat:service", self.service)
        g.add(c, "dcterms:issued", _typed(min(e.description["issued"] for e in entries), "xsd:date"))
        g.add(c, "dcterms:modified", _typed(max(e.description["modified"] for e in entries), "xsd:date"))
        g.add(c, "rdfs:seeAlso", download(self.base, "void.ttl"))


def catalog_triples(results, folders, target: Path, project, union=None, sums=None) -> tuple[set, set]:
    """The DCAT and the VoID triples describing the files written in target (see write)."""
    config = settings()
    entries = dataset_entries(results, folders, project.base)
    if not entries:
        raise CatalogError(["no datasets to catalogue"])
    cat = _Catalog(project.base, Path(target), config, sums, project.publication)
    cat.inputs = build_inputs(project)
    cat.build(entries)
    void = void_triples(entries, VoidPublication(cat.base, config, cat.union, cat.g.prefixes), Path(target), union)
    if cat.problems:
        raise CatalogError(sorted(set(cat.problems)))
    return cat.g.triples, void


def write(results, folders, target, project, union=None, sums=None) -> None:
    """Write catalog.ttl, catalog.jsonld and void.ttl into target.

    The build passes what its workers already counted, so nothing is read
    twice: union, the union's void.Counts (each result's .statistics then
    holds its own), and sums, file path (relative to target) -> sha256.
    Without them every count and checksum is taken here, from each result's
    triples and from the files.
    """
    target = Path(target)
    dcat, void = catalog_triples(results, folders, target, project, union, sums)
    dcat = sorted(dcat, key=sort_key)  # once for both syntaxes
    (target / "catalog.ttl").write_bytes(render_sorted(dcat, "turtle", CATALOG_PREFIXES))
    (target / "catalog.jsonld").write_bytes(render_sorted(dcat, "jsonld", CATALOG_PREFIXES))
    (target / "void.ttl").write_bytes(render(void, "turtle", PREFIXES))
