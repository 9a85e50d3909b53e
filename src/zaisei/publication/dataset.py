"""One dataset's work: load, reconcile, map, validate, write and count, in a worker process.

`zaisei build` (build.py) plans one task per dataset and runs the tasks
here, in parallel. A task hands back counts, checksums and its dataset's
VoID statistics, never the triples, so the parent stays small at any scale;
an unchanged dataset's files are linked from the previous output instead.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from zaisei.publication import catalog, tabular, void
from zaisei.graph import mapping
from zaisei import sources
from zaisei.graph.iris import mint
from zaisei.sources.reconcile import Report, reconcile
from zaisei.rdf.formats import FORMATS
from zaisei.rdf.namespaces import PREFIXES
from zaisei.rdf.render import render, render_sorted
from zaisei.publication.dumps import derived_union_parts, union_parts
from zaisei.publication.manifest import checksums
from zaisei.publication.project import DATASET_FORMATS, BuildError, Project, _Clock, _step
from zaisei.rdf.store import GraphStore, parse, sort_key


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
    if dataset.document.is_file():  # a quoted dataset's text; a cited one holds none
        shutil.copyfile(dataset.document, out / "document.txt")
    tabular.write(result.triples, dataset, out, project.base)


# -- one dataset's share of the union dumps -------------------------------------------


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

