"""`zaisei build`: sources -> reconcile -> mappings -> SHACL -> output/, atomically.

Everything is written to a temporary folder beside output/ and swapped in
only when every dataset reconciled and conformed; a failed build leaves the
previous output/ untouched. Output is byte-reproducible: sorted triples, no
wall-clock time (dates come from each dataset.toml), gzip without mtime.

At scale (thousands of datasets) each dataset is checked, validated,
written and counted for VoID on its own, in worker processes (workers.py),
and the union dumps are streamed graph by graph, so no process holds every
quad at once; the catalog is written from the workers' counts. A dataset whose
inputs (source folder, mappings, shapes, ontology, base, zaisei version) hash
as recorded in the previous build.json is not rebuilt: its files are linked
from the previous output into the new one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zaisei import __version__, sources
from zaisei.publication import catalog, ontology_docs, void
from zaisei.graph import codelists
from zaisei.graph.iris import mint
from zaisei.sources.codelists import read as read_codes
from zaisei.rdf.render import render
from zaisei.rdf.store import parse
from zaisei.sources.reconcile import reconcile

# One dataset's work is in workers.py; check_dataset, write_dataset, union_parts,
# derived_union_parts, ROOT and DATASET_FORMATS are still importable from here.
from zaisei.publication.dataset import DatasetResult, Outcome, Task
from zaisei.publication.dumps import Union, graph_order, union_parts
from zaisei.publication.manifest import (SUMS, checksums, format_sums, previous_manifest, previous_sums,
                                         write_manifest)
from zaisei.publication.pool import jobs, run_tasks
from zaisei.publication.project import BuildError, Project, _Clock, _step


@dataclass
class BuildResult:
    datasets: list[DatasetResult]
    files: dict[str, str]  # relative path -> sha256
    timings: dict[str, float]
    held: dict[str, str] = field(default_factory=dict)  # dataset -> why it was reconciled but not published

    def summary(self) -> dict:
        """Counts, timings and checksums, for --json."""
        return {
            "datasets": {d.key: {"triples": len(d.triples), "figures_used": d.reconcile.used,
                                 "figures_waived": d.reconcile.waived,
                                 "warnings": len(getattr(d.validation, "warnings", []) or []),
                                 "reused": d.reused,
                                 "seconds": {k: round(v, 4) for k, v in d.timings.items()}}
                         for d in self.datasets},
            "seconds": {k: round(v, 4) for k, v in self.timings.items()},
            "files": self.files,
            "held": self.held,
        }


def dataset_folders(project: Project, only: list[str] | None = None) -> list[Path]:
    """Source folders to build (all under project.sources, or the named ones)."""
    if only:
        return [sources.find(name, project.sources) for name in only]
    return sorted(p for p in project.sources.iterdir() if (p / "dataset.toml").exists())


def _hold_back(folders: list[Path]) -> tuple[list[Path], dict[str, str]]:
    """Datasets marked `publish = false` are reconciled (a problem stops the build) but not published."""
    published, held = [], {}
    for folder in folders:
        try:
            reason = sources.held_back(sources.load_description(folder))
            report = reconcile(sources.load(folder)) if reason else None
        except sources.SourceError as exc:
            raise BuildError(exc.problems, exit_code=2) from exc
        if report and not report.ok:
            raise BuildError([str(f) for f in report.errors])
        if reason:
            held[folder.name] = reason
        else:
            published.append(folder)
    return published, held


# -- the union dumps, graph by graph -------------------------------------------------


def _write_ontology(target: Path, project: Project) -> None:
    ontology = parse(project.ontology.read_bytes(), "turtle")
    (target / "ontology").mkdir()
    (target / "ontology" / "zaisei.ttl").write_bytes(project.ontology.read_bytes())
    (target / "ontology" / "zaisei.jsonld").write_bytes(render(ontology, "jsonld"))
    (target / "ontology" / "index.html").write_text(ontology_docs.html(project.ontology), encoding="utf-8")
    codes = list(codelists.triples(read_codes(project.codes)))
    (target / "ontology" / "codes.ttl").write_bytes(render(codes, "turtle"))
    (target / "ontology" / "codes.jsonld").write_bytes(render(codes, "jsonld"))


def write_all(results: list[DatasetResult], target: Path, project: Project) -> None:
    """The union of all datasets, one named graph each, the ontology and build.json."""
    union = Union(target)
    for result in sorted(results, key=lambda r: graph_order(mint(project.base, "dataset", dataset=r.key))):
        union.add(*union_parts(result.triples, mint(project.base, "dataset", dataset=result.key)))
    union.close()
    _write_ontology(target, project)
    write_manifest(results, target, project)


# -- incremental builds: what a dataset's files depend on ---------------------------

def _digest_files(digest, label: str, paths: list[Path], root: Path) -> None:
    for path in paths:
        data = path.read_bytes()
        name = path.relative_to(root).as_posix() if path != root else path.name
        digest.update(f"{label}\0{name}\0{len(data)}\0".encode("utf-8"))
        digest.update(data)


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def shared_inputs(project: Project) -> str:
    """sha256 of the inputs every dataset shares: mappings, shapes, ontology, base, version.

    The code is not hashed, so that editing the server or the docs never churns
    the committed build.json: a code change that alters a dataset's files needs
    a version bump, or a build with Project(reuse=False).
    """
    digest = hashlib.sha256(f"zaisei {__version__}\0base {project.base}\0".encode("utf-8"))
    _digest_files(digest, "mappings", _files_under(project.mappings), project.mappings)
    _digest_files(digest, "shapes", _files_under(project.shapes), project.shapes)
    _digest_files(digest, "ontology", [project.ontology], project.ontology)
    _digest_files(digest, "codes", _files_under(project.codes), project.codes)
    return digest.hexdigest()


def dataset_inputs(folder: Path, shared: str) -> str:
    """sha256 of a source folder's files together with the shared inputs."""
    digest = hashlib.sha256(shared.encode("ascii"))
    _digest_files(digest, "source", _files_under(folder), folder)
    return digest.hexdigest()


class _DumpTriples(Sequence):
    """A dataset's triples, read back from its N-Triples dump when first needed.

    Workers hand back a count, not millions of objects; whoever iterates
    (a caller of build(); the catalog has its counts from the workers)
    parses the dump once.
    """

    def __init__(self, folder: Path, key: str, count: int):
        self.folder, self.key, self.count = folder, key, count
        self._triples: list | None = None

    def _load(self) -> list:
        if self._triples is None:
            dump = self.folder / self.key / f"{self.key}.nt.gz"
            self._triples = parse(gzip.decompress(dump.read_bytes()), "ntriples")
        return self._triples

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        return self._load()[index]

    def __iter__(self):
        return iter(self._load())


def _plan(folders: list[Path], project: Project, staging: Path, parts: Path) -> list[Task]:
    """One task per dataset, in union (graph IRI) order; unchanged ones are marked for reuse."""
    shared = shared_inputs(project)
    previous = previous_manifest(project) if project.reuse else {}
    sums = previous_sums(project) if previous else {}
    tasks = []
    for folder in folders:
        inputs, recorded = dataset_inputs(folder, shared), previous.get(folder.name)
        reusable = bool(recorded) and recorded.get("inputs") == inputs and folder.name in sums
        tasks.append(Task(folder, project, staging, parts, mint(project.base, "dataset", dataset=folder.name),
                          inputs, {**recorded, "sums": sums[folder.name]} if reusable else None))
    return sorted(tasks, key=lambda t: graph_order(t.graph))


def _collect(tasks: list[Task], workers: int, union: Union, progress) -> tuple[dict[str, Outcome], void.Counts]:
    """Append each dataset's share of the union as it finishes, in graph order, and count the union.

    The union's distinct subjects, objects, ... need every dataset's terms:
    merged here as each worker hands them back, then dropped, so at no time
    is any triple held in the parent.
    """
    outcomes, statistics = {}, void.Statistics()
    for task, outcome in zip(tasks, run_tasks(tasks, workers)):
        for message in outcome.messages if progress else ():
            progress(message)
        nquads, block = task.parts / f"{outcome.key}.nq", task.parts / f"{outcome.key}.trig"
        union.add(nquads.read_bytes(), outcome.trig_header, block.read_bytes())
        nquads.unlink()
        block.unlink()
        statistics.merge(outcome.statistics)
        outcome.statistics = None
        outcomes[outcome.key] = outcome
    return outcomes, statistics.counts(tasks[0].project.base)


def _build_datasets(folders: list[Path], project: Project, staging: Path, progress) -> tuple[list, dict, void.Counts]:
    """Every dataset's files and the union dumps into staging; results in folder order, file sums, union counts."""
    parts = staging / ".parts"
    parts.mkdir()
    tasks = _plan(folders, project, staging, parts)
    union = Union(staging)
    try:
        outcomes, counts = _collect(tasks, jobs(project, len(tasks)), union, progress)
    finally:
        sums = union.close()
    parts.rmdir()
    results = [DatasetResult(o.key, _DumpTriples(staging, o.key, o.triples), o.reconcile, o.validation,
                             o.timings, o.reused, o.inputs, o.counts) for o in (outcomes[f.name] for f in folders)]
    sums.update((name, digest) for o in outcomes.values() for name, digest in o.sums.items())
    return results, sums, counts


def build(project: Project, only: list[str] | None = None, progress=None) -> BuildResult:
    """Build every dataset and publish them together, or raise BuildError."""
    clock = _Clock()
    folders = dataset_folders(project, only)
    if not folders:
        raise BuildError([f"{project.sources}: no dataset folders (each needs a dataset.toml)"], exit_code=2)
    folders, held = _hold_back(folders)
    if not folders:
        return BuildResult([], {}, clock.timings, held)  # nothing to publish: output/ stays as it was
    project.output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{project.output.name}.", dir=project.output.parent))
    try:
        results, known, union = clock("datasets", lambda: _build_datasets(folders, project, staging, progress))
        clock("serialisation", lambda: _write_ontology(staging, project))
        dates = {folder.name: sources.load_description(folder)["modified"] for folder in folders}
        clock("serialisation", lambda: write_manifest(results, staging, project, dates))
        clock("catalog", lambda: catalog.write(results, folders, staging, project, union, known))
        files = clock("checksums", lambda: checksums(staging, known))
        (staging / SUMS).write_text(format_sums(files), encoding="utf-8")
        _step(progress, "output", f"{len(files)} files written")
        publish(staging, project.output)
        for result in results:
            result.triples.folder = project.output  # the dumps moved with the swap
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(results, files, clock.timings, held)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def publish(staging: Path, output: Path) -> None:
    """Swap staging in as output in one step; the old output ends up in staging."""
    if output.exists() and _exchange(staging, output):
        return
    if output.exists():
        old = output.with_name(output.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(output, old)
        os.rename(staging, output)
        shutil.rmtree(old)
    else:
        os.rename(staging, output)
        staging.mkdir()
