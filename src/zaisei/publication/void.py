"""The VoID description of the publication: statistics, dumps and links out of every graph.

Partitions and linksets get IRIs (no blank nodes); counts come from the
built triples, so the same build always gives the same description. The
build counts each dataset in the worker that built it (Statistics) and
merges them for the union; the catalog then only reads the numbers (Counts).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from zaisei.graph.iris import ONTOLOGY, VOCAB, id_space, document_path, download, mint, sparql_endpoint
from zaisei.graph.description import fill, pair
from zaisei.rdf.namespaces import PREFIXES
from zaisei.rdf.terms import TripleSet, is_iri as _is_iri, text_literal, typed_literal

_RDF_TYPE = PREFIXES["rdf"] + "type"


def _typed(value, datatype: str):
    return typed_literal(str(value), PREFIXES["xsd"] + datatype.split(":", 1)[1])


def _text(value: str, lang: str):
    return text_literal(value, lang)


_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda p: -len(p[1]))


@functools.cache
def _name(iri: str) -> str:
    """A readable, IRI-safe name of a class or property: qb-DataSet, dcterms-title."""
    for prefix, namespace in _LONGEST_FIRST:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return quote(f"{prefix}-{iri[len(namespace):]}", safe="")
    # No prefix (a dataset's own dimension, say): a slug without '/', which a path cannot
    # carry encoded, and a digest so that two datasets' dimension/account stay apart.
    slug = "-".join(part for part in re.split(r"[^0-9A-Za-z]+", iri.split("://", 1)[-1])[-2:] if part)
    return f"{slug}-{hashlib.sha256(iri.encode()).hexdigest()[:8]}"


def _vocabulary(iri: str) -> str:
    """The namespace of a term; the project's own is its ontology IRI."""
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    namespace = iri[:cut]
    return ONTOLOGY if namespace == VOCAB else namespace


def _vocabularies(counts, base: str) -> list[str]:
    """The namespaces of the terms used, not counting a dataset's own terms (its dimensions
    are minted under /id/: they belong to the data, not to a vocabulary)."""
    terms = set(counts.properties) | set(counts.classes)
    return sorted({_vocabulary(t) for t in terms if not t.startswith(_space(base))})


class Statistics:
    """The distinct terms and counts VoID states of one graph; graphs merge into their union.

    Terms are kept as their N-Triples text (one str per term, shared by every
    set that holds it), so a worker counts its own dataset and hands the
    statistics back by pickle: the parent merges them for the union and never
    parses a dump again. Counts are exact.
    """

    def __init__(self):
        self.triples = 0
        self.subjects: set[str] = set()
        self.objects: set[str] = set()
        self.properties: dict[str, tuple[list, set, set]] = {}  # IRI -> ([triples], subjects, objects)
        self.classes: dict[str, set[str]] = {}  # class IRI -> subjects typed with it
        self.links: Counter = Counter()  # (link target key, predicate IRI) -> triples

    @classmethod
    def of(cls, triples, targets: dict) -> Statistics:
        """The statistics of a graph's triples; targets: catalog.toml [link_targets]."""
        stats, texts = cls(), _Texts()
        spaces = [(key, target["uri_space"]) for key, target in targets.items()]
        for t in triples:
            subject, obj, predicate = texts[t.subject], texts[t.object], t.predicate.value
            stats.triples += 1
            stats.subjects.add(subject)
            stats.objects.add(obj)
            stats._property(predicate, subject, obj)
            if _is_iri(t.object):
                stats._iri_object(predicate, subject, t.object.value, spaces)
        return stats

    def _property(self, predicate: str, subject: str, obj: str) -> None:
        used = self.properties.get(predicate)
        if used is None:
            used = self.properties[predicate] = ([0], set(), set())
        used[0][0] += 1
        used[1].add(subject)
        used[2].add(obj)

    def _iri_object(self, predicate: str, subject: str, iri: str, spaces: list) -> None:
        if predicate == _RDF_TYPE:
            self.classes.setdefault(iri, set()).add(subject)
        for key, space in spaces:
            if iri.startswith(space):
                self.links[key, predicate] += 1

    def merge(self, other: Statistics) -> None:
        """Add another graph's statistics: statements add up, distinct terms are counted once."""
        self.triples += other.triples
        self.subjects |= other.subjects
        self.objects |= other.objects
        for predicate, (count, subjects, objects) in other.properties.items():
            used = self.properties.setdefault(predicate, ([0], set(), set()))
            used[0][0] += count[0]
            used[1].update(subjects)
            used[2].update(objects)
        for cls, members in other.classes.items():
            self.classes.setdefault(cls, set()).update(members)
        self.links.update(other.links)

    def counts(self, base: str, examples=()) -> Counts:
        """The numbers VoID states (no term sets); examples: IRIs to report whether they are subjects."""
        space = "<" + _space(base)
        return Counts(self.triples, sum(1 for s in self.subjects if s.startswith(space)),
                      len(self.subjects), len(self.objects),
                      {cls: len(members) for cls, members in self.classes.items()},
                      {p: (c[0], len(s), len(o)) for p, (c, s, o) in self.properties.items()},
                      dict(self.links), [iri for iri in examples if f"<{iri}>" in self.subjects])


class _Texts(dict):
    """Term -> its N-Triples text, made once per term so every set shares the one str."""

    def __missing__(self, term) -> str:
        self[term] = text = str(term)
        return text


@dataclass
class Counts:
    """What VoID says of one graph, as numbers: small enough to keep for thousands of datasets."""

    triples: int
    entities: int
    subjects: int
    objects: int
    classes: dict[str, int]  # class IRI -> entities
    properties: dict[str, tuple[int, int, int]]  # IRI -> (triples, distinct subjects, distinct objects)
    links: dict[tuple[str, str], int]  # (link target key, predicate IRI) -> triples
    examples: list[str]  # the example IRIs asked for that are subjects of the graph


def _space(base: str) -> str:
    return id_space(base)


def dataset_counts(stats: Statistics, base: str, key: str) -> Counts:
    """A dataset's counts, noting whether its budget (VoID's example resource) is there."""
    base = base.rstrip("/")  # as the catalog mints it
    return stats.counts(base, [mint(base, "budget", dataset=key)])


def _describe(g: TripleSet, d: str, counts: Counts, base: str, targets: dict) -> None:
    """VoID statistics of one graph (or of the union of all) on its void:Dataset d."""
    g.add(d, "void:triples", _typed(counts.triples, "xsd:integer"))
    g.add(d, "void:entities", _typed(counts.entities, "xsd:integer"))
    g.add(d, "void:classes", _typed(len(counts.classes), "xsd:integer"))
    g.add(d, "void:properties", _typed(len(counts.properties), "xsd:integer"))
    g.add(d, "void:distinctSubjects", _typed(counts.subjects, "xsd:integer"))
    g.add(d, "void:distinctObjects", _typed(counts.objects, "xsd:integer"))
    g.add(d, "void:uriSpace", _typed(_space(base), "xsd:string"))
    g.add(d, "void:sparqlEndpoint", sparql_endpoint(base))
    for vocabulary in _vocabularies(counts, base):
        g.add(d, "void:vocabulary", vocabulary)
    _partitions(g, d, counts)
    _linksets(g, d, counts, base, targets)


def _partitions(g: TripleSet, d: str, counts: Counts) -> None:
    for cls, entities in counts.classes.items():
        partition = f"{d}/void/class/{_name(cls)}"
        g.add(d, "void:classPartition", partition)
        g.types(partition, "void:Dataset")
        g.add(partition, "void:class", cls)
        g.add(partition, "void:entities", _typed(entities, "xsd:integer"))
    for prop, (triples, subjects, objects) in counts.properties.items():
        partition = f"{d}/void/property/{_name(prop)}"
        g.add(d, "void:propertyPartition", partition)
        g.types(partition, "void:Dataset")
        g.add(partition, "void:property", prop)
        g.add(partition, "void:triples", _typed(triples, "xsd:integer"))
        g.add(partition, "void:distinctSubjects", _typed(subjects, "xsd:integer"))
        g.add(partition, "void:distinctObjects", _typed(objects, "xsd:integer"))


def _linksets(g: TripleSet, d: str, counts: Counts, base: str, targets: dict) -> None:
    for (key, prop), count in counts.links.items():
        linkset = f"{d}/void/linkset/{key}/{_name(prop)}"
        target = f"{mint(base, 'catalog')}/void/{key}"
        g.types(linkset, "void:Linkset")
        g.add(d, "void:subset", linkset)
        g.add(linkset, "void:subjectsTarget", d)
        g.add(linkset, "void:objectsTarget", target)
        g.add(linkset, "void:linkPredicate", prop)
        g.add(linkset, "void:triples", _typed(count, "xsd:integer"))
        g.types(target, "void:Dataset")
        g.add(target, "dcterms:title", _typed(targets[key]["title"], "xsd:string"))
        g.add(target, "foaf:homepage", targets[key]["homepage"])
        g.add(target, "void:uriSpace", _typed(targets[key]["uri_space"], "xsd:string"))


def _counted(entries, base: str, targets: dict, union: Counts | None) -> tuple[list[Counts], Counts]:
    """Each dataset's counts and the union's: as the build counted them, else from the triples."""
    if union is not None:
        return [entry.result.statistics for entry in entries], union
    merged, counts = Statistics(), []
    for entry in entries:
        stats = Statistics.of(entry.result.triples, targets)
        counts.append(dataset_counts(stats, base, entry.key))
        merged.merge(stats)
    return counts, merged.counts(base)


@dataclass(frozen=True)
class Publication:
    """What the VoID is written about: the catalog's base, settings (data/catalog.toml), the
    union dataset's IRI and the prefixes to write with (the catalog passes them)."""

    base: str
    config: dict
    union: str
    prefixes: dict


def void_triples(entries, about: Publication, target: Path, union: Counts | None = None) -> set:
    """VoID of every dataset and of the union: statistics, dumps, links out.

    union: the union's counts when the build counted every graph in its
    workers (then each entry's result.statistics holds its Counts); without
    it, everything is counted here from each result's triples.
    """
    g, base, config = TripleSet(about.prefixes), about.base, about.config
    targets = config["link_targets"]
    counted, union = _counted(entries, base, targets, union)
    description = download(base, "void.ttl")
    g.types(description, "void:DatasetDescription")
    g.add(description, "dcterms:title", _text("VoID description of the zaisei publication", "en"))
    g.add(description, "foaf:primaryTopic", about.union)

    def dumps(d: str, folder: Path, prefix: str, specs: list[dict], values: dict) -> None:
        for spec in specs:
            name = fill(spec["name"], values)
            if spec.get("void_feature") and (folder / name).is_file():
                g.add(d, "void:dataDump", download(base, prefix + name))
                g.add(d, "void:feature", spec["void_feature"])

    for entry, counts in zip(entries, counted):
        d = entry.iri
        g.types(d, "void:Dataset")
        g.texts(d, "dcterms:title", pair(entry.description, "title"))
        g.add(d, "dcterms:license", entry.description["licence"])
        g.add(d, "foaf:homepage", base + document_path(d[len(base):]))
        budget = mint(base, "budget", dataset=entry.key)
        if budget in counts.examples:
            g.add(d, "void:exampleResource", budget)
        dumps(d, target / entry.key, f"{entry.key}/", config["files"], entry.values)
        _describe(g, d, counts, base, targets)
        g.add(about.union, "void:subset", d)
    u = about.union
    g.types(u, "void:Dataset")
    g.texts(u, "dcterms:title", pair(config["union"], "title"))
    dumps(u, target, "", config["union_files"], {})
    # Statistics of the union count statements as in the dumps (one per named
    # graph); distinct subjects, objects and entities are counted once.
    _describe(g, u, union, base, targets)
    return g.triples
