"""One dataset's work: load, reconcile, map, validate, write and count, in a worker process.

`zaisei build` (build.py) plans one task per dataset and runs the tasks
here, in parallel. A task hands back counts, checksums and its dataset's
VoID statistics, never the triples, so the parent stays small at any scale;
an unchanged dataset's files are linked from the previous output instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gzip
import hashlib
import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from zaisei.publication import catalog, tabular, void
from zaisei.graph import mapping
from zaisei import sources
from zaisei.graph.iris import mint
from zaisei.sources.reconcile import Report, reconcile
from zaisei.rdf.formats import FORMATS
from zaisei.rdf.namespaces import PREFIXES
from zaisei.rdf.render import render, render_quads, render_sorted
from zaisei.settings import project_root
from zaisei.rdf.store import GraphStore, parse, sort_key
from zaisei.rdf.terms import quad

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
    statistics: object = None  # void.Counts, when the build counted the dataset in its worker


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
        triples = clock("mapping", lambda: sorted(mapping.run(dataset, project.mappings, project.base), key=sort_key))
    except mapping.MappingError as exc:
        raise BuildError([str(exc)], exit_code=2) from exc
    _step(progress, dataset.key, f"mapped {len(triples)} triples")
    result = DatasetResult(dataset.key, triples, report, timings=clock.timings)
    result.validation = clock("validation", lambda: _validate(triples, project))
    if not result.validation.conforms:
        raise BuildError([f"{folder}: does not conform to the shapes; nothing was published"]
                         + result.validation.text("en").splitlines())
    _step(progress, dataset.key, f"validated ({len(result.validation.warnings)} warnings)")
    return result


def _validate(ordered: list, project: Project):
    from zaisei.validation import shacl as validate  # pyshacl is slow to import; only the build needs it

    # validate_triples builds the rdflib graph term by term (rdflib's N-Triples
    # parser took a fifth of the validation) and validates it without a copy.
    return validate.validate_triples(ordered, project.shapes, project.ontology)


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
    ordered = sorted(result.triples, key=sort_key)  # once, for every format
    for format in DATASET_FORMATS:
        (out / f"{result.key}{FORMATS[format].suffix}").write_bytes(render_sorted(ordered, format))
    (out / f"{result.key}{FORMATS['ntriples'].suffix}.gz").write_bytes(_gzip(render_sorted(ordered, "ntriples")))
    (out / "validation.ttl").write_bytes(
        _report_turtle(result.validation, mint(project.base, "dataset", dataset=result.key)))
    dataset = sources.load(folder)
    shutil.copyfile(dataset.document, out / "document.txt")
    tabular.write(result.triples, dataset, out, project.base)


def checksums(target: Path, known: dict[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file under target, in path order; `known` sums are not recomputed."""
    known = known or {}
    sums = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        name = path.relative_to(target).as_posix()
        sums[name] = known.get(name) or hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


# -- one dataset's share of the union dumps -------------------------------------------

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


# -- the task a worker runs ---------------------------------------------------------

@dataclass(frozen=True)
class Task:
    folder: Path
    project: Project
    staging: Path
    parts: Path  # scratch folder for this dataset's share of the union dumps
    graph: str
    inputs: str
    recorded: dict | None  # the previous build's entry and file sums, when reusable


@dataclass
class Validated:
    """What the parent keeps of a SHACL report: whether it conformed, and its warnings."""

    conforms: bool
    warnings: list


@dataclass
class Outcome:
    key: str
    triples: int
    reconcile: Report
    validation: Validated
    timings: dict
    reused: bool
    messages: list
    sums: dict  # path relative to the output -> sha256
    inputs: str
    trig_header: bytes  # the @prefix lines; each graph's block is in parts/<key>.trig
    counts: void.Counts  # VoID's numbers of this dataset
    statistics: void.Statistics | None  # its distinct terms, for the union's counts; the parent drops them


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
    sh = PREFIXES["sh"]
    store = GraphStore()
    store.add(parse(report.read_bytes(), "turtle"))
    rows = store.select(f"""SELECT ?focus (SAMPLE(?text) AS ?message) WHERE {{
        ?result <{sh}resultSeverity> <{sh}Warning> ; <{sh}focusNode> ?focus .
        OPTIONAL {{ ?result <{sh}resultMessage> ?text }} }} GROUP BY ?result ?focus""")
    return sorted(f"Warning: <{r['focus'].value}> {r['message'].value if r['message'] else ''}" for r in rows)


def _reuse(task: Task, clock: _Clock):
    """The previous build's files of an unchanged dataset, if they are intact; else None."""
    key = task.folder.name
    clock("reuse", lambda: _link_tree(task.project.output / key, task.staging / key))
    sums = clock("reuse", lambda: checksums(task.staging / key))
    # Reconcile is the cheapest stage: rerun it for the figures the catalog states.
    report = clock("reconcile", lambda: reconcile(sources.load(task.folder)))
    if sums != task.recorded["sums"] or not report.ok:
        shutil.rmtree(task.staging / key)  # edited or damaged since it was published: rebuild
        return None
    dump = task.staging / key / f"{key}.nt.gz"
    warnings = clock("reuse", lambda: _recorded_warnings(task.staging / key / "validation.ttl"))
    # The dump is parsed for the VoID statistics: this dataset's own, never the union.
    return (task.recorded["triples"], lambda: parse(gzip.decompress(dump.read_bytes()), "ntriples"),
            report, Validated(True, warnings), sums)


def _fresh(task: Task, clock: _Clock, messages: list):
    result = check_dataset(task.folder, task.project, messages.append)
    clock.timings.update(result.timings)
    clock("serialisation", lambda: write_dataset(result, task.folder, task.staging, task.project))
    validated = Validated(result.validation.conforms, [str(w) for w in result.validation.warnings])
    return (len(result.triples), lambda: result.triples, result.reconcile, validated,
            checksums(task.staging / result.key))


def _parts(task: Task, key: str, triples) -> tuple[bytes, bytes, bytes]:
    derived = derived_union_parts(task.staging / key, key, task.graph)
    return derived or union_parts(triples(), task.graph)


@functools.cache
def _link_targets() -> dict:
    return catalog.settings()["link_targets"]  # read once per worker, not once per dataset


def _statistics(task: Task, key: str, triples) -> tuple[void.Counts, void.Statistics]:
    """The dataset's VoID statistics, counted here so the catalog never reads a dump again."""
    stats = void.Statistics.of(triples(), _link_targets())
    return void.dataset_counts(stats, task.project.base, key), stats


def dataset_task(task: Task) -> Outcome:
    """Check, validate and write one dataset (or reuse its files), plus its share of the union."""
    clock, messages, key = _Clock(), [], task.folder.name
    reused = _reuse(task, clock) if task.recorded else None
    if reused:
        _step(messages.append, key, "unchanged: reused the previous build's files")
    count, triples, report, validated, sums = reused or _fresh(task, clock, messages)
    if reused:
        triples = functools.cache(triples)  # the dump is parsed at most once
    nquads, header, block = clock("serialisation", lambda: _parts(task, key, triples))
    (task.parts / f"{key}.nq").write_bytes(nquads)
    (task.parts / f"{key}.trig").write_bytes(block)
    counts, stats = clock("statistics", lambda: _statistics(task, key, triples))
    return Outcome(key, count, report, validated, clock.timings, bool(reused), messages,
                   {f"{key}/{name}": digest for name, digest in sums.items()}, task.inputs, header,
                   counts, stats)


def _orphan_guard() -> None:
    """Worker initializer: die with the build (Linux), so a killed build leaves no workers behind."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def jobs(project: Project, tasks: int) -> int:
    """Worker processes to use: as asked, else one per core we may run on; never more than tasks."""
    cores = project.jobs or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    return max(1, min(cores or 1, tasks))


def _attempt(call, *args):
    try:
        return call(*args)
    except BuildError as exc:
        return exc


def run_tasks(tasks: list[Task], workers: int) -> Iterator[Outcome]:
    """Outcomes in task order; every dataset's problems are gathered before raising."""
    problems, exit_code, pool = [], 1, None
    if workers == 1:
        outcomes = (_attempt(dataset_task, task) for task in tasks)
    else:
        # spawn, not fork: the caller may be threaded (a server, a test runner),
        # and fork() there can deadlock the child.
        pool = ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), initializer=_orphan_guard)
        futures = [pool.submit(dataset_task, task) for task in tasks]
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
