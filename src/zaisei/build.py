"""`zaisei build`: sources -> reconcile -> mappings -> SHACL -> output/, atomically.

Everything is written to a temporary folder beside output/ and swapped in
only when every dataset reconciled and conformed; a failed build leaves the
previous output/ untouched. Output is byte-reproducible: sorted triples, no
wall-clock time (dates come from each dataset.toml), gzip without mtime.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import catalog, mapping, sources, tabular
from .iris import mint
from .reconcile import Report, reconcile
from .render import render, render_quads
from .store import parse, quad

ROOT = Path(__file__).resolve().parents[2]
DATASET_FORMATS = ("turtle", "jsonld", "rdfxml")


class BuildError(Exception):
    """The build stopped; `problems` are file:line messages, output/ is untouched."""

    def __init__(self, problems: list[str], exit_code: int = 1):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.exit_code = exit_code


@dataclass
class Project:
    """Where the build reads from and writes to."""

    sources: Path = ROOT / "sources"
    output: Path = ROOT / "output"
    mappings: Path = ROOT / "mappings"
    shapes: Path = ROOT / "shapes"
    ontology: Path = ROOT / "ontology" / "zaisei.ttl"
    base: str = "http://127.0.0.1:8080"


@dataclass
class DatasetResult:
    key: str
    triples: list
    reconcile: Report
    validation: object = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class BuildResult:
    datasets: list[DatasetResult]
    files: dict[str, str]  # relative path -> sha256
    timings: dict[str, float]

    def summary(self) -> dict:
        """Counts, timings and checksums, for --json."""
        return {
            "datasets": {d.key: {"triples": len(d.triples), "figures_used": d.reconcile.used,
                                 "figures_waived": d.reconcile.waived,
                                 "warnings": len(getattr(d.validation, "warnings", []) or []),
                                 "seconds": {k: round(v, 4) for k, v in d.timings.items()}}
                         for d in self.datasets},
            "seconds": {k: round(v, 4) for k, v in self.timings.items()},
            "files": self.files,
        }


def dataset_folders(project: Project, only: list[str] | None = None) -> list[Path]:
    """Source folders to build (all under project.sources, or the named ones)."""
    if only:
        return [sources.find(name, project.sources) for name in only]
    return sorted(p for p in project.sources.iterdir() if (p / "dataset.toml").exists())


class _Clock:
    def __init__(self):
        self.timings: dict[str, float] = {}

    def __call__(self, stage: str, work: Callable):
        started = time.perf_counter()
        result = work()
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started
        return result


def check_dataset(folder: Path, project: Project, progress=None) -> DatasetResult:
    """Load, reconcile, map and validate one dataset; BuildError if any fails."""
    clock = _Clock()
    try:
        dataset = clock("load", lambda: sources.load(folder))
    except sources.SourceError as exc:
        raise BuildError(exc.problems, exit_code=2) from exc
    report = clock("reconcile", lambda: reconcile(dataset))
    if not report.ok:
        raise BuildError([str(f) for f in report.errors])
    _step(progress, dataset.key, "reconciled")
    try:
        triples = clock("mapping", lambda: mapping.run(dataset, project.mappings, project.base))
    except mapping.MappingError as exc:
        raise BuildError([str(exc)], exit_code=2) from exc
    _step(progress, dataset.key, f"mapped {len(triples)} triples")
    result = DatasetResult(dataset.key, triples, report, timings=clock.timings)
    result.validation = clock("validation", lambda: _validate(triples, project, dataset.key))
    if not result.validation.conforms:
        raise BuildError([f"{folder}: does not conform to the shapes; nothing was published"]
                         + result.validation.text("en").splitlines())
    _step(progress, dataset.key, f"validated ({len(result.validation.warnings)} warnings)")
    return result


def _validate(triples, project: Project, key: str):
    import rdflib

    from . import validate  # pyshacl is slow to import; only the build needs it

    graph = rdflib.Graph().parse(data=render(triples, "ntriples"), format="nt")
    return validate.validate(graph, project.shapes, project.ontology,
                             base=mint(project.base, "dataset", dataset=key))


def _report_turtle(validation) -> bytes:
    """The sh:ValidationReport as sorted Turtle (the report has no blank nodes)."""
    return render(parse(validation.graph().serialize(format="nt"), "ntriples"), "turtle")


def _step(progress, key: str, message: str) -> None:
    if progress:
        progress(f"{key}: {message}")


def _gzip(data: bytes) -> bytes:
    # mtime=0 and no file name: the same data always gives the same bytes.
    return gzip.compress(data, compresslevel=9, mtime=0)


def write_dataset(result: DatasetResult, folder: Path, target: Path, project: Project) -> None:
    """Every file of one dataset into target/<key>/."""
    out = target / result.key
    out.mkdir(parents=True)
    for format in DATASET_FORMATS:
        suffix = {"turtle": "ttl", "jsonld": "jsonld", "rdfxml": "rdf"}[format]
        (out / f"{result.key}.{suffix}").write_bytes(render(result.triples, format))
    (out / f"{result.key}.nt.gz").write_bytes(_gzip(render(result.triples, "ntriples")))
    (out / "validation.ttl").write_bytes(_report_turtle(result.validation))
    dataset = sources.load(folder)
    shutil.copyfile(dataset.document, out / "document.txt")
    tabular.write(result.triples, dataset, out, project.base)


def _checksums(target: Path) -> dict[str, str]:
    sums = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        sums[path.relative_to(target).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def write_all(results: list[DatasetResult], target: Path, project: Project) -> None:
    """The union of all datasets, one named graph each, and the ontology."""
    quads = [quad(t, mint(project.base, "dataset", dataset=r.key)) for r in results for t in r.triples]
    (target / "all.trig").write_bytes(render_quads(quads, "trig"))
    (target / "all.nq.gz").write_bytes(_gzip(render_quads(quads, "nquads")))
    ontology = parse(project.ontology.read_bytes(), "turtle")
    (target / "ontology").mkdir()
    (target / "ontology" / "zaisei.ttl").write_bytes(project.ontology.read_bytes())
    (target / "ontology" / "zaisei.jsonld").write_bytes(render(ontology, "jsonld"))
    manifest = {"base": project.base, "datasets": {r.key: {"graph": mint(project.base, "dataset", dataset=r.key),
                                                          "triples": len(r.triples)} for r in results}}
    (target / "build.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def build(project: Project, only: list[str] | None = None, progress=None) -> BuildResult:
    """Build every dataset and publish them together, or raise BuildError."""
    clock = _Clock()
    folders = dataset_folders(project, only)
    if not folders:
        raise BuildError([f"{project.sources}: no dataset folders (each needs a dataset.toml)"], exit_code=2)
    results = [check_dataset(folder, project, progress) for folder in folders]
    project.output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{project.output.name}.", dir=project.output.parent))
    try:
        for result, folder in zip(results, folders):
            clock("serialisation", lambda: write_dataset(result, folder, staging, project))
        clock("serialisation", lambda: write_all(results, staging, project))
        try:
            clock("catalog", lambda: catalog.write(results, folders, staging, project))
        except catalog.CatalogError as exc:
            raise BuildError(exc.problems, exit_code=2) from exc
        files = _checksums(staging)
        (staging / "SHA256SUMS").write_text("".join(f"{h}  {p}\n" for p, h in files.items()), encoding="utf-8")
        _step(progress, "output", f"{len(files)} files written")
        publish(staging, project.output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(results, files, clock.timings)


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
