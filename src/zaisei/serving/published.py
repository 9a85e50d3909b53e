"""The published output, loaded once and read-only: what the server and CLI query.

It knows the build's base IRI (from output/build.json), so request paths map
onto the IRIs of the build whatever host and port the server answers on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from zaisei.rdf.namespaces import LABELS
from zaisei.publication.manifest import SUMS, parse_sums
from zaisei.serving.integrity import Integrity
from zaisei.graph.iris import CODES, ONTOLOGY, mint
from zaisei.serving.snapshot import SnapshotError, open_snapshot
from zaisei.serving.snapshot import path_for as snapshot_path
from zaisei.rdf.store import GraphStore, StoreError
from zaisei.rdf.terms import is_iri, label_triple

INCOMING_PAGE = 200


class PublicationError(Exception):
    """output/ is missing or damaged; the message says which file."""


@dataclass
class Description:
    """Everything a page or document about one thing needs."""

    iri: str
    triples: list
    incoming: list = field(default_factory=list)
    incoming_total: int = 0
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return bool(self.triples) or bool(self.incoming)


class Publication:
    """output/ as a read-only store plus its manifest.

    The store is loaded into memory from the dumps, or, given a snapshots folder,
    opened from a persisted store of this output version (made on first use).
    """

    def __init__(self, output: Path, snapshots: Path | None = None):
        self.output = Path(output).resolve()
        manifest = self.output / "build.json"
        if not manifest.exists():
            raise PublicationError(f"{manifest}: missing; run `zaisei build` (or point --output at a build)")
        try:
            data = manifest.read_bytes()
            self.manifest = json.loads(data.decode("utf-8"))
        except (OSError, ValueError) as exc:   # ValueError: bad JSON or bad UTF-8
            raise PublicationError(f"{manifest}: corrupt ({exc})") from exc
        if not isinstance(self.manifest, dict) or not isinstance(self.manifest.get("base"), str) \
                or not isinstance(self.manifest.get("datasets"), dict):
            raise PublicationError(f'{manifest}: corrupt (not a build manifest: no "base" and "datasets")')
        # Every file loaded here must be the one the build wrote (SHA256SUMS, when there is one).
        self.sums, sums_digest = self._sums()
        self.integrity = Integrity(self.output, self.sums, sums_digest)
        self._verify(manifest, data)
        self.base = self.manifest["base"].rstrip("/")
        self.version = self._version()
        # A snapshot is trusted by its name, the version, so it needs checksums to name it by.
        self.snapshot = snapshot_path(snapshots, self.version) if snapshots and self.sums else None
        self.store = self._open(snapshots)
        self.graphs = self.store.graph_names()

    def parts(self) -> list[tuple[Path, str | None]]:
        """The files the store is made of, each with its graph (None: the dump names its own).

        The ontology gives pages their term labels (ja/en); the catalog and VoID make
        the DCAT IRIs (datasets, distributions, the service) dereference. Each is its
        own graph, so SPARQL users can also ask about them."""
        found = [(self.output / "all.nq.gz", None)]
        for path, graph in ((self.output / "ontology" / "zaisei.ttl", ONTOLOGY),
                            (self.output / "ontology" / "codes.ttl", CODES),
                            (self.output / "catalog.ttl", mint(self.base, "catalog")),
                            (self.output / "void.ttl", mint(self.base, "catalog") + "/void")):
            # optional: a publication needs only build.json and all.nq.gz (unless the build listed it)
            if path.exists() or path.relative_to(self.output).as_posix() in self.sums:
                found.append((path, graph))
        return found

    def _open(self, snapshots: Path | None) -> GraphStore:
        for path, _ in self.parts():
            self._verify(path)
        if self.snapshot is None:
            store = GraphStore()
            self._fill(store)
            return store
        try:
            return open_snapshot(snapshots, self.version, self._fill)
        except SnapshotError as exc:
            raise PublicationError(str(exc)) from exc

    def _fill(self, store: GraphStore) -> None:
        """Load every part into store: each file once, checked before (`_verify`); then each
        triple kept in one graph only (`_one_graph_per_triple`)."""
        for path, graph in self.parts():
            trusted = path.relative_to(self.output).as_posix() in self.sums
            try:
                # Streamed: 10M triples decompress to 2.2 GB that need never be held at once.
                with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as data:
                    store.load_bytes(data, "nquads" if graph is None else "turtle", graph, trusted=trusted)
            except (OSError, EOFError, StoreError) as exc:
                raise PublicationError(f"{path}: corrupt ({exc})") from exc
            if graph is None:
                self._check_not_empty(store, path)
        self._one_graph_per_triple(store)

    def _one_graph_per_triple(self, store: GraphStore) -> None:
        """A triple lives in one named graph, so the union default graph never counts it twice
        (COUNT(*) equals the service description's void:triples).

        The files restate a few triples: a dataset's graph declares the ontology's properties it
        uses (its Data Cube structure) and describes its fiscal year and document as the catalog
        does; the catalog and VoID both title the datasets. Each such triple stays in the graph of
        the document it belongs to first: the ontology, then the catalog, then VoID, then the
        datasets' graphs in IRI order (a fiscal year two datasets share stays in the first). The
        published files keep every triple; docs/sparql.md says what each named graph holds."""
        authority = [graph for _, graph in self.parts() if graph is not None]
        store.remove(_restated(store, authority))

    def _check_not_empty(self, store: GraphStore, dump: Path) -> None:
        """An empty dump decompresses without error: compare it with the manifest."""
        if not len(store) and any(isinstance(d, dict) and d.get("triples") for d in self.manifest["datasets"].values()):
            raise PublicationError(f"{dump}: corrupt (no quads, but build.json lists datasets with triples)")

    def _sums(self) -> tuple[dict[str, str], str | None]:
        """({relative path: SHA-256} from output/SHA256SUMS, the file's own SHA-256); ({}, None) without one."""
        try:
            data = (self.output / SUMS).read_bytes()
            return parse_sums(data.decode("utf-8")), hashlib.sha256(data).hexdigest()
        except FileNotFoundError:
            return {}, None
        except (OSError, ValueError) as exc:
            raise PublicationError(f"{self.output / SUMS}: corrupt ({exc})") from exc

    def read(self, name: str) -> bytes:
        """A published file's bytes, checked against SHA256SUMS first (PublicationError if it
        no longer matches, is gone or unreadable): what pages show is what was published."""
        problem = self.integrity.problem(name)
        if problem:
            raise PublicationError(problem)
        try:
            return (self.output / name).read_bytes()
        except OSError as exc:
            raise PublicationError(f"{self.output / name}: unreadable ({exc})") from exc

    def text(self, name: str) -> str:
        """read() decoded as UTF-8 (PublicationError if it is not)."""
        try:
            return self.read(name).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PublicationError(f"{self.output / name}: corrupt (not UTF-8: {exc})") from exc

    def _verify(self, path: Path, data: bytes | None = None) -> None:
        """A file the server loads must exist and have the checksum the build recorded for it."""
        name = path.relative_to(self.output).as_posix()
        try:
            digest = hashlib.sha256(data) if data is not None else _file_digest(path)
        except FileNotFoundError:
            raise PublicationError(f"{path}: missing; run `zaisei build`") from None
        except OSError as exc:
            raise PublicationError(f"{path}: corrupt ({exc})") from exc
        if name in self.sums and digest.hexdigest() != self.sums[name]:
            raise PublicationError(f"{path}: corrupt (its SHA-256 is not the one in SHA256SUMS; "
                                   f"rebuild with `zaisei build` or restore the file)")

    def _version(self) -> str:
        sums = self.output / "SHA256SUMS"
        data = sums.read_bytes() if sums.exists() else (self.output / "build.json").read_bytes()
        return hashlib.sha256(data).hexdigest()[:16]

    @property
    def modified(self) -> str | None:
        """The newest of the datasets' own dates (YYYY-MM-DD), or None for a hand-made publication."""
        dates = [d.get("modified") for d in self.manifest["datasets"].values() if isinstance(d, dict)]
        return max((d for d in dates if isinstance(d, str)), default=None)

    @property
    def datasets(self) -> list[str]:
        return sorted(self.manifest["datasets"])

    def iri(self, path: str) -> str:
        """The IRI a request path names under the build's base."""
        return self.base + path

    def local(self, iri: str) -> str | None:
        """The request path of one of our IRIs, or None for foreign IRIs."""
        return iri[len(self.base):] if iri.startswith(self.base + "/") else None

    def select(self, query: str, **bindings: str) -> list[dict]:
        """SELECT over the union of all graphs; bindings are IRIs."""
        return self.store.select(query, **bindings)

    def describe(self, iri: str, page: int = 0) -> Description:
        """Triples about iri, labels of what it links to, and (paged) what links to it."""
        triples = self.store.outgoing(iri)
        incoming_all = self.store.incoming(iri)
        incoming = incoming_all[page * INCOMING_PAGE:(page + 1) * INCOMING_PAGE]
        linked = {t.object.value for t in triples if is_iri(t.object)}
        linked |= {t.subject.value for t in incoming} | {t.predicate.value for t in triples + incoming} | {iri}
        return Description(iri, triples, incoming, len(incoming_all), self.labels(linked))

    def labels(self, iris) -> dict[str, dict[str, str]]:
        """{iri: {lang: label}} for the given IRIs, from the first label property that has one."""
        found: dict[str, dict[str, str]] = {}
        for iri in sorted(iris):
            for predicate in LABELS:
                for lang, text in self.store.literals(iri, predicate):
                    found.setdefault(iri, {}).setdefault(lang, text)
        return found

    def label_triples(self, description: Description) -> list:
        """rdfs:label triples of linked things, shipped alongside a description."""
        return [label_triple(iri, LABELS[1], text, lang)
                for iri, by_lang in sorted(description.labels.items()) if iri != description.iri
                for lang, text in sorted(by_lang.items())]


# Triples that may sit in more than one graph: those of the publication-wide graphs (ontology,
# catalog, VoID), and those of a dataset's graph about things outside its own IRI space (a
# dataset mints its things under its graph's IRI, so no other dataset's graph holds those).
# Measured at 1.2M quads (220 datasets): 1.5 s, where a join of every quad with every other took 43 s.
SHARED = """SELECT ?s ?p ?o (GROUP_CONCAT(STR(?g); separator=" ") AS ?graphs) WHERE {
  GRAPH ?g { ?s ?p ?o } FILTER(?g IN (%s) || !STRSTARTS(STR(?s), CONCAT(STR(?g), "/")))
} GROUP BY ?s ?p ?o HAVING (COUNT(*) > 1)"""
RESTATED = """SELECT ?s ?p ?o ?a ?h WHERE { VALUES ?a { %s } GRAPH ?a { ?s ?p ?o } GRAPH ?h { ?s ?p ?o }
  FILTER(?h != ?a) }"""


def _restated(store: GraphStore, authority: list[str]) -> list[tuple]:
    """Every copy of a triple but the one in the first graph holding it: first the graphs of
    `authority` in its order, then the others by IRI."""
    names = [f"<{graph}>" for graph in authority]
    held: dict[tuple, set[str]] = {}
    for row in store.query(SHARED % ", ".join(names)):
        held.setdefault((row["s"], row["p"], row["o"]), set()).update(row["graphs"].value.split(" "))
    for row in store.query(RESTATED % " ".join(names)):
        held.setdefault((row["s"], row["p"], row["o"]), set()).update((row["a"].value, row["h"].value))
    rank = {graph: index for index, graph in enumerate(authority)}
    copies = []
    for (s, p, o), graphs in held.items():
        keeper = min(graphs, key=lambda graph: (rank.get(graph, len(rank)), graph))
        copies += [(s, p, o, graph) for graph in sorted(graphs - {keeper})]
    return copies


def _file_digest(path: Path):
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256")
