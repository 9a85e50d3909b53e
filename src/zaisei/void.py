"""The VoID description of the publication: statistics, dumps and links out of every graph.

Partitions and linksets get IRIs (no blank nodes); counts come from the
built triples, so the same build always gives the same description.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from .iris import ONTOLOGY, VOCAB, document_path, download, mint, sparql_endpoint
from .metadata import fill, pair
from .render import PREFIXES
from .store import TripleSet, is_iri as _is_iri, text_literal, typed_literal


def _typed(value, datatype: str):
    return typed_literal(str(value), PREFIXES["xsd"] + datatype.split(":", 1)[1])


def _text(value: str, lang: str):
    return text_literal(value, lang)


def _name(iri: str) -> str:
    """A readable, IRI-safe name of a class or property: qb-DataSet, dcterms-title."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return quote(f"{prefix}-{iri[len(namespace):]}", safe="")
    return quote(iri, safe="")


def _vocabulary(iri: str) -> str:
    """The namespace of a term; the project's own is its ontology IRI."""
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    namespace = iri[:cut]
    return ONTOLOGY if namespace == VOCAB else namespace


def _describe(g: TripleSet, d: str, triples: list, base: str, targets: dict) -> None:
    """VoID statistics of one graph (or of the union of all) on its void:Dataset d."""
    rdf_type = PREFIXES["rdf"] + "type"
    space = base.rstrip("/") + "/id/"
    subjects, objects = set(), set()
    per_property: dict[str, list] = defaultdict(list)
    instances: dict[str, set] = defaultdict(set)
    links: Counter = Counter()
    for t in triples:
        subjects.add(t.subject)
        objects.add(t.object)
        per_property[t.predicate.value].append(t)
        if t.predicate.value == rdf_type and _is_iri(t.object):
            instances[t.object.value].add(t.subject)
        if _is_iri(t.object):
            for key, target in targets.items():
                if t.object.value.startswith(target["uri_space"]):
                    links[key, t.predicate.value] += 1
    entities = {s for s in subjects if _is_iri(s) and s.value.startswith(space)}
    g.add(d, "void:triples", _typed(len(triples), "xsd:integer"))
    g.add(d, "void:entities", _typed(len(entities), "xsd:integer"))
    g.add(d, "void:classes", _typed(len(instances), "xsd:integer"))
    g.add(d, "void:properties", _typed(len(per_property), "xsd:integer"))
    g.add(d, "void:distinctSubjects", _typed(len(subjects), "xsd:integer"))
    g.add(d, "void:distinctObjects", _typed(len(objects), "xsd:integer"))
    g.add(d, "void:uriSpace", _typed(space, "xsd:string"))
    g.add(d, "void:sparqlEndpoint", sparql_endpoint(base))
    for vocabulary in sorted({_vocabulary(p) for p in per_property} | {_vocabulary(c) for c in instances}):
        g.add(d, "void:vocabulary", vocabulary)
    for cls, members in instances.items():
        partition = f"{d}/void/class/{_name(cls)}"
        g.add(d, "void:classPartition", partition)
        g.types(partition, "void:Dataset")
        g.add(partition, "void:class", cls)
        g.add(partition, "void:entities", _typed(len(members), "xsd:integer"))
    for prop, used in per_property.items():
        partition = f"{d}/void/property/{_name(prop)}"
        g.add(d, "void:propertyPartition", partition)
        g.types(partition, "void:Dataset")
        g.add(partition, "void:property", prop)
        g.add(partition, "void:triples", _typed(len(used), "xsd:integer"))
        g.add(partition, "void:distinctSubjects", _typed(len({t.subject for t in used}), "xsd:integer"))
        g.add(partition, "void:distinctObjects", _typed(len({t.object for t in used}), "xsd:integer"))
    for (key, prop), count in links.items():
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


def void_triples(entries, cat, target: Path) -> set:
    """VoID of every dataset and of the union: statistics, dumps, links out."""
    g, base, config = TripleSet(cat.g.prefixes), cat.base, cat.config
    targets = config["link_targets"]
    description = download(base, "void.ttl")
    g.types(description, "void:DatasetDescription")
    g.add(description, "dcterms:title", _text("VoID description of the zaisei publication", "en"))
    g.add(description, "foaf:primaryTopic", cat.union)

    def dumps(d: str, folder: Path, prefix: str, specs: list[dict], values: dict) -> None:
        for spec in specs:
            name = fill(spec["name"], values)
            if spec.get("void_feature") and (folder / name).is_file():
                g.add(d, "void:dataDump", download(base, prefix + name))
                g.add(d, "void:feature", spec["void_feature"])

    everything = []
    for entry in entries:
        d = entry.iri
        g.types(d, "void:Dataset")
        g.texts(d, "dcterms:title", pair(entry.description, "title"))
        g.add(d, "dcterms:license", entry.description["licence"])
        g.add(d, "foaf:homepage", base + document_path(d[len(base):]))
        budget = mint(base, "budget", dataset=entry.key)
        if any(t.subject.value == budget for t in entry.result.triples if _is_iri(t.subject)):
            g.add(d, "void:exampleResource", budget)
        dumps(d, target / entry.key, f"{entry.key}/", config["files"], entry.values)
        _describe(g, d, entry.result.triples, base, targets)
        g.add(cat.union, "void:subset", d)
        everything.extend(entry.result.triples)
    u = cat.union
    g.types(u, "void:Dataset")
    g.texts(u, "dcterms:title", pair(config["union"], "title"))
    dumps(u, target, "", config["union_files"], {})
    # Statistics of the union count statements as in the dumps (one per named
    # graph); distinct subjects, objects and entities are counted once.
    _describe(g, u, everything, base, targets)
    return g.triples
