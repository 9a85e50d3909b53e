"""`zaisei build`: sources -> reconcile -> mappings -> SHACL -> output/, atomically.

Everything is written to a temporary folder beside output/ and swapped in
only when every dataset reconciled and conformed; a failed build leaves the
previous output/ untouched. Output is byte-reproducible: sorted triples, no
wall-clock time (dates come from each dataset.toml), gzip without mtime.

At scale (thousands of datasets) each dataset is checked, validated and
written on its own, in worker processes, and the union dumps are streamed
graph by graph, so no process holds every quad at once. A dataset whose
inputs (source folder, mappings, shapes, ontology, base, zaisei version) hash
as recorded in the previous build.json is not rebuilt: its files are linked
from the previous output into the new one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from . import __version__, catalog, mapping, ontology_docs, sources, tabular
from .iris import mint
from .reconcile import Report, reconcile
from .render import render, render_quads
from .settings import project_root
from .store import GraphStore, parse, quad

ROOT = project_root()
DATASET_FORMATS = ("turtle", "jsonld", "rdfxml")


class BuildError(Exception):
    """The build stopped; `problems` are file:line messages, output/ is untouched."""

    def __init__(self, problems: list[str], exit_code: int = 1):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.exit_code = exit_code

    def __reduce__(self):
        # Raised in a worker process, it crosses back by pickle with its fields intact.
        return BuildError, (self.problems, self.exit_code)


@dataclass
class Project:
    """Where the build reads from and writes to."""

    sources: Path = ROOT / "sources"
    output: Path = ROOT / "output"
    mappings: Path = ROOT / "mappings"
    shapes: Path = ROOT / "shapes"
    ontology: Path = ROOT / "ontology" / "zaisei.ttl"
    base: str = "http://127.0.0.1:8080"
    jobs: int = 0  # worker processes for the datasets; 0 = one per available core
    reuse: bool = True  # link an unchanged dataset's files from the previous output


@dataclass
class DatasetResult:
    key: str
    triples: list
    reconcile: Report
    validation: object = None
    timings: dict[str, float] = field(default_factory=dict)
    reused: bool = False  # files linked from the previous output, not rebuilt
    inputs: str = ""  # sha256 of everything the dataset's files depend on


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
                                 "reused": d.reused,
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
    return validate.validate(graph, project.shapes, project.ontology)


def _report_turtle(validation, base: str) -> bytes:
    """The sh:ValidationReport as sorted Turtle (results get IRIs under base, no blank nodes)."""
    return render(parse(validation.graph(base).serialize(format="nt"), "ntriples"), "turtle")


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
    (out / "validation.ttl").write_bytes(
        _report_turtle(result.validation, mint(project.base, "dataset", dataset=result.key)))
    dataset = sources.load(folder)
    shutil.copyfile(dataset.document, out / "document.txt")
    tabular.write(result.triples, dataset, out, project.base)


def _checksums(target: Path, known: dict[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file under target, in path order; `known` sums are not recomputed."""
    known = known or {}
    sums = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        name = path.relative_to(target).as_posix()
        sums[name] = known.get(name) or hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


# -- the union dumps, graph by graph -------------------------------------------------

def _graph_order(iri: str) -> str:
    # The order render_quads sorts graphs in (N-Triples form), so streamed
    # dumps are byte-identical to dumps rendered from all quads at once.
    return f"<{iri}>"


def union_parts(triples, graph: str) -> tuple[bytes, bytes, bytes]:
    """One graph's N-Quads, and its TriG split into prefix header and graph block."""
    quads = [quad(t, graph) for t in triples]
    trig = render_quads(quads, "trig")
    start = trig.find(b"<" + graph.encode("utf-8") + b"> {\n")
    if start < 0:
        raise BuildError([f"{graph}: no graph block in its TriG; cannot stream all.trig"], exit_code=2)
    return render_quads(quads, "nquads"), trig[:start], trig[start:]


def derived_union_parts(folder: Path, key: str, graph: str) -> tuple[bytes, bytes, bytes] | None:
    """One graph's share of the union, derived from the dataset's own dumps without rendering.

    pyoxigraph writes an N-Quads line as the N-Triples line with the graph
    before the final dot, and a TriG graph block as the Turtle statements
    indented by one tab after the same @prefix lines: the bytes union_parts
    renders (tests/test_benchmarks.py checks both ways). A long-string literal
    (triple quotes) may hold a raw newline the indentation would change; then
    this returns None and the caller renders.
    """
    turtle = (folder / f"{key}.ttl").read_bytes()
    if b'"' * 3 in turtle or b"'" * 3 in turtle:
        return None
    lines = turtle.splitlines(keepends=True)
    prefixes = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), len(lines))
    iri = graph.encode("utf-8")
    block = b"<" + iri + b"> {\n" + b"".join(b"\t" + line for line in lines[prefixes:] if line.strip()) + b"}\n"
    ntriples = gzip.decompress((folder / f"{key}.nt.gz").read_bytes())
    return ntriples.replace(b" .\n", b" <" + iri + b"> .\n"), b"".join(lines[:prefixes]), block


class _Union:
    """all.trig and all.nq.gz, written one graph at a time in graph order."""

    def __init__(self, target: Path):
        self.trig = (target / "all.trig").open("wb")
        self.nquads = (target / "all.nq.gz").open("wb")
        # gzip.compress(level 9, mtime=0) is zlib with wbits=31; streaming gives the same bytes.
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
        self.header: bytes | None = None

    def add(self, nquads: bytes, header: bytes, block: bytes) -> None:
        if self.header is None:
            self.header = header
            self.trig.write(header)
        elif header != self.header:
            raise BuildError(["TriG prefix headers differ between graphs; cannot stream all.trig"], exit_code=2)
        self.trig.write(block)
        self.nquads.write(self.deflate.compress(nquads))

    def close(self) -> None:
        self.nquads.write(self.deflate.flush())
        self.trig.close()
        self.nquads.close()


def _write_ontology(target: Path, project: Project) -> None:
    ontology = parse(project.ontology.read_bytes(), "turtle")
    (target / "ontology").mkdir()
    (target / "ontology" / "zaisei.ttl").write_bytes(project.ontology.read_bytes())
    (target / "ontology" / "zaisei.jsonld").write_bytes(render(ontology, "jsonld"))
    (target / "ontology" / "index.html").write_text(ontology_docs.html(project.ontology), encoding="utf-8")


def _manifest_entry(result: DatasetResult, project: Project) -> dict:
    entry = {"graph": mint(project.base, "dataset", dataset=result.key), "triples": len(result.triples)}
    if result.inputs:
        entry["inputs"] = result.inputs  # what the next build compares to reuse the files
    return entry


def _write_manifest(results: list[DatasetResult], target: Path, project: Project) -> None:
    manifest = {"base": project.base, "datasets": {r.key: _manifest_entry(r, project) for r in results}}
    (target / "build.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def write_all(results: list[DatasetResult], target: Path, project: Project) -> None:
    """The union of all datasets, one named graph each, the ontology and build.json."""
    union = _Union(target)
    for result in sorted(results, key=lambda r: _graph_order(mint(project.base, "dataset", dataset=r.key))):
        union.add(*union_parts(result.triples, mint(project.base, "dataset", dataset=result.key)))
    union.close()
    _write_ontology(target, project)
    _write_manifest(results, target, project)


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
    return digest.hexdigest()


def dataset_inputs(folder: Path, shared: str) -> str:
    """sha256 of a source folder's files together with the shared inputs."""
    digest = hashlib.sha256(shared.encode("ascii"))
    _digest_files(digest, "source", _files_under(folder), folder)
    return digest.hexdigest()


def _previous_manifest(project: Project) -> dict:
    """The datasets recorded by the previous build, or {} if there is none readable."""
    try:
        manifest = json.loads((project.output / "build.json").read_text(encoding="utf-8"))
        return manifest["datasets"] if manifest.get("base") == project.base else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


# -- one dataset's work, in a worker process ----------------------------------------

@dataclass(frozen=True)
class _Task:
    folder: Path
    project: Project
    staging: Path
    parts: Path  # scratch folder for this dataset's share of the union dumps
    graph: str
    inputs: str
    recorded: dict | None  # the previous build's entry and file sums, when reusable


@dataclass
class _Validated:
    """What the parent keeps of a SHACL report: whether it conformed, and its warnings."""

    conforms: bool
    warnings: list


@dataclass
class _Outcome:
    key: str
    triples: int
    reconcile: Report
    validation: _Validated
    timings: dict
    reused: bool
    messages: list
    sums: dict  # path relative to the output -> sha256
    inputs: str
    trig_header: bytes  # the @prefix lines; each graph's block is in parts/<key>.trig


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link (or copy) a previous dataset folder: published files are never written in place."""
    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    shutil.copytree(source, target, copy_function=link)


def _recorded_warnings(report: Path) -> list[str]:
    """The warnings of a published validation.ttl, as "Warning: <focus> message" lines."""
    sh = "http://www.w3.org/ns/shacl#"
    store = GraphStore()
    store.add(parse(report.read_bytes(), "turtle"))
    rows = store.select(f"""SELECT ?focus (SAMPLE(?text) AS ?message) WHERE {{
        ?result <{sh}resultSeverity> <{sh}Warning> ; <{sh}focusNode> ?focus .
        OPTIONAL {{ ?result <{sh}resultMessage> ?text }} }} GROUP BY ?result ?focus""")
    return sorted(f"Warning: <{r['focus'].value}> {r['message'].value if r['message'] else ''}" for r in rows)


def _reuse(task: _Task, clock: _Clock):
    """The previous build's files of an unchanged dataset, if they are intact; else None."""
    key = task.folder.name
    clock("reuse", lambda: _link_tree(task.project.output / key, task.staging / key))
    sums = clock("reuse", lambda: _checksums(task.staging / key))
    # Reconcile is the cheapest stage: rerun it for the figures the catalog states.
    report = clock("reconcile", lambda: reconcile(sources.load(task.folder)))
    if sums != task.recorded["sums"] or not report.ok:
        shutil.rmtree(task.staging / key)  # edited or damaged since it was published: rebuild
        return None
    dump = task.staging / key / f"{key}.nt.gz"
    warnings = clock("reuse", lambda: _recorded_warnings(task.staging / key / "validation.ttl"))
    # The dump is parsed only if the union parts cannot be derived from the files.
    return (task.recorded["triples"], lambda: parse(gzip.decompress(dump.read_bytes()), "ntriples"),
            report, _Validated(True, warnings), sums)


def _fresh(task: _Task, clock: _Clock, messages: list):
    result = check_dataset(task.folder, task.project, messages.append)
    clock.timings.update(result.timings)
    clock("serialisation", lambda: write_dataset(result, task.folder, task.staging, task.project))
    validated = _Validated(result.validation.conforms, [str(w) for w in result.validation.warnings])
    return (len(result.triples), lambda: result.triples, result.reconcile, validated,
            _checksums(task.staging / result.key))


def _parts(task: _Task, key: str, triples) -> tuple[bytes, bytes, bytes]:
    derived = derived_union_parts(task.staging / key, key, task.graph)
    return derived or union_parts(triples(), task.graph)


def _dataset_task(task: _Task) -> _Outcome:
    """Check, validate and write one dataset (or reuse its files), plus its share of the union."""
    clock, messages, key = _Clock(), [], task.folder.name
    reused = _reuse(task, clock) if task.recorded else None
    if reused:
        _step(messages.append, key, "unchanged: reused the previous build's files")
    count, triples, report, validated, sums = reused or _fresh(task, clock, messages)
    nquads, header, block = clock("serialisation", lambda: _parts(task, key, triples))
    (task.parts / f"{key}.nq").write_bytes(nquads)
    (task.parts / f"{key}.trig").write_bytes(block)
    return _Outcome(key, count, report, validated, clock.timings, bool(reused), messages,
                    {f"{key}/{name}": digest for name, digest in sums.items()}, task.inputs, header)


def _orphan_guard() -> None:
    """Worker initializer: die with the build (Linux), so a killed build leaves no workers behind."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _jobs(project: Project, tasks: int) -> int:
    """Worker processes to use: as asked, else one per core we may run on; never more than tasks."""
    cores = project.jobs or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    return max(1, min(cores or 1, tasks))


def _attempt(call, *args):
    try:
        return call(*args)
    except BuildError as exc:
        return exc


def _run_tasks(tasks: list[_Task], jobs: int) -> Iterator[_Outcome]:
    """Outcomes in task order; every dataset's problems are gathered before raising."""
    problems, exit_code, pool = [], 1, None
    if jobs == 1:
        outcomes = (_attempt(_dataset_task, task) for task in tasks)
    else:
        # spawn, not fork: the caller may be threaded (a server, a test runner),
        # and fork() there can deadlock the child.
        pool = ProcessPoolExecutor(jobs, multiprocessing.get_context("spawn"), initializer=_orphan_guard)
        futures = [pool.submit(_dataset_task, task) for task in tasks]
        outcomes = (_attempt(future.result) for future in futures)
    try:
        for outcome in outcomes:
            if isinstance(outcome, BuildError):
                problems += outcome.problems
                exit_code = max(exit_code, outcome.exit_code)
            elif not problems:
                yield outcome
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if problems:
        raise BuildError(problems, exit_code)


class _DumpTriples(Sequence):
    """A dataset's triples, read back from its N-Triples dump when first needed.

    Workers hand back a count, not millions of objects; whoever iterates
    (the catalog's VoID statistics) parses the dump once.
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


def _previous_sums(project: Project) -> dict[str, dict[str, str]]:
    """The previous output's SHA256SUMS, grouped by dataset folder."""
    grouped: dict[str, dict[str, str]] = {}
    try:
        lines = (project.output / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    except OSError:
        return grouped
    for line in lines:
        digest, _, name = line.partition("  ")
        folder, _, rest = name.partition("/")
        if rest:
            grouped.setdefault(folder, {})[rest] = digest
    return grouped


def _plan(folders: list[Path], project: Project, staging: Path, parts: Path) -> list[_Task]:
    """One task per dataset, in union (graph IRI) order; unchanged ones are marked for reuse."""
    shared = shared_inputs(project)
    previous = _previous_manifest(project) if project.reuse else {}
    sums = _previous_sums(project) if previous else {}
    tasks = []
    for folder in folders:
        inputs, recorded = dataset_inputs(folder, shared), previous.get(folder.name)
        reusable = bool(recorded) and recorded.get("inputs") == inputs and folder.name in sums
        tasks.append(_Task(folder, project, staging, parts, mint(project.base, "dataset", dataset=folder.name),
                           inputs, {**recorded, "sums": sums[folder.name]} if reusable else None))
    return sorted(tasks, key=lambda t: _graph_order(t.graph))


def _collect(tasks: list[_Task], jobs: int, union: _Union, progress) -> dict[str, _Outcome]:
    """Append each dataset's share of the union as it finishes, in graph order."""
    outcomes = {}
    for task, outcome in zip(tasks, _run_tasks(tasks, jobs)):
        for message in outcome.messages if progress else ():
            progress(message)
        nquads, block = task.parts / f"{outcome.key}.nq", task.parts / f"{outcome.key}.trig"
        union.add(nquads.read_bytes(), outcome.trig_header, block.read_bytes())
        nquads.unlink()
        block.unlink()
        outcomes[outcome.key] = outcome
    return outcomes


def _build_datasets(folders: list[Path], project: Project, staging: Path, progress) -> tuple[list, dict]:
    """Every dataset's files and the union dumps into staging; results in folder order."""
    parts = staging / ".parts"
    parts.mkdir()
    tasks = _plan(folders, project, staging, parts)
    union = _Union(staging)
    try:
        outcomes = _collect(tasks, _jobs(project, len(tasks)), union, progress)
    finally:
        union.close()
    parts.rmdir()
    results = [DatasetResult(o.key, _DumpTriples(staging, o.key, o.triples), o.reconcile, o.validation,
                             o.timings, o.reused, o.inputs) for o in (outcomes[f.name] for f in folders)]
    return results, {name: digest for o in outcomes.values() for name, digest in o.sums.items()}


def build(project: Project, only: list[str] | None = None, progress=None) -> BuildResult:
    """Build every dataset and publish them together, or raise BuildError."""
    clock = _Clock()
    folders = dataset_folders(project, only)
    if not folders:
        raise BuildError([f"{project.sources}: no dataset folders (each needs a dataset.toml)"], exit_code=2)
    project.output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{project.output.name}.", dir=project.output.parent))
    try:
        results, known = clock("datasets", lambda: _build_datasets(folders, project, staging, progress))
        clock("serialisation", lambda: _write_ontology(staging, project))
        clock("serialisation", lambda: _write_manifest(results, staging, project))
        clock("catalog", lambda: catalog.write(results, folders, staging, project))
        files = clock("checksums", lambda: _checksums(staging, known))
        (staging / "SHA256SUMS").write_text("".join(f"{h}  {p}\n" for p, h in files.items()), encoding="utf-8")
        _step(progress, "output", f"{len(files)} files written")
        publish(staging, project.output)
        for result in results:
            result.triples.folder = project.output  # the dumps moved with the swap
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
