"""The benchmark generator's smallest size, as a smoke test (not timed: the benchmarks are not CI).

The generated folders must pass `zaisei reconcile` with every figure
accounted for, and build: in parallel worker processes, then again with
every dataset unchanged and reused, giving the same bytes; a changed dataset
alone is rebuilt, and the result is byte-identical to a fresh build; a broken
one stops the whole build and publishes nothing.

Also the runner's logic that needs no server: the report of a documented run
re-rendered with the newer rows, one with every configuration of ours, the
docs markers, and how the run sees `zaisei serve --store`'s in-memory copy serve.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.paths import ROOT, SOURCES, run_cli
from zaisei.publication.build import build
from zaisei.publication.dataset import check_dataset, write_dataset
from zaisei.publication.dumps import derived_union_parts, union_parts
from zaisei.publication.project import BuildError, Project

from benchmarks import engines, report
from benchmarks.generate import SIZES, check_digit, dataset, generate, municipalities
from benchmarks.measure import tree
from benchmarks.queries import mix

pytestmark = pytest.mark.slow

SMALLEST = min(SIZES, key=lambda name: SIZES[name][0] * SIZES[name][1])


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic") / "sources"
    generate(root, *SIZES[SMALLEST])
    return root


def test_generator_is_deterministic_and_marks_its_data_synthetic():
    town = municipalities(3)[2]
    first, again = dataset(town, 2022), dataset(municipalities(5)[2], 2022)
    assert first.files == again.files
    assert town.name_ja.startswith("架空") and town.lg_code.startswith("9")
    assert town.lg_code == town.area_code + check_digit(town.area_code)
    assert check_digit("13103") == "2"  # Minato: 131032, the published code
    assert "SYNTHETIC" in first.files["dataset.toml"].decode("utf-8")


def test_last_years_amounts_are_the_previous_datasets_amounts(generated):
    before = (generated / "synth-90001-2021" / "budget.csv").read_text(encoding="utf-8")
    after = (generated / "synth-90001-2022" / "budget.csv").read_text(encoding="utf-8")
    stated = re.search(r"^general-2021,general,2021,(\d+),", before, re.MULTILINE)[1]
    assert re.search(rf"^general-2021,general,2021,{stated},", after, re.MULTILINE)


def test_every_folder_reconciles_with_nothing_unaccounted(generated):
    folders = sorted(p for p in generated.iterdir() if p.is_dir())
    assert len(folders) == SIZES[SMALLEST][0] * SIZES[SMALLEST][1]
    for folder in folders:
        done = run_cli("reconcile", str(folder))
        assert done.returncode == 0, done.stderr
        assert " 0 unaccounted" in done.stdout and "0 waived" in done.stdout, done.stdout


def test_builds_in_parallel_then_reuses_unchanged_datasets(generated, tmp_path):
    output = tmp_path / "output"
    first = build(Project(sources=generated, output=output, jobs=2))
    published = _files(output)
    assert sum(len(d.triples) for d in first.datasets) > 5000
    assert not any(d.reused for d in first.datasets)
    manifest = json.loads((output / "build.json").read_text(encoding="utf-8"))
    assert all(len(entry["inputs"]) == 64 for entry in manifest["datasets"].values())
    again = build(Project(sources=generated, output=output, jobs=2))
    assert all(d.reused for d in again.datasets)
    assert _files(output) == published


def test_the_cross_budget_gallery_questions_answer_on_synthetic_data(generated, tmp_path):
    """The national code lists make the synthetic municipalities comparable: the general
    account of every one of them, for every fiscal year its budgets state."""
    import gzip
    from zaisei.rdf.store import GraphStore
    from zaisei.serving.examples import examples
    output = tmp_path / "output"
    result = build(Project(sources=generated, output=output, jobs=2))
    store = GraphStore()
    store.load_bytes(gzip.decompress((output / "all.nq.gz").read_bytes()), "nquads")
    query = next(e for e in examples() if e.name == "11-general-account-across-budgets").query
    rows = store.query(query, use_default_graph_as_union=True)
    found = {(row["municipality"].value, row["fiscal_year"].value, row["budget"].value) for row in rows}
    towns = {t.name_ja for t in municipalities(SIZES[SMALLEST][0])}
    assert {town for town, _, _ in found} == towns
    assert len(found) == 2 * len(result.datasets)   # each budget states its year and the one before
    query = next(e for e in examples() if e.name == "12-general-account-fy2021-per-municipality").query
    rows = list(store.query(query, use_default_graph_as_union=True))
    fy2021 = {d.key for d in result.datasets if d.key.endswith("-2021")}
    assert len(rows) == len(fy2021) and {row["stated_as"].value for row in rows} <= {"account"}


def test_a_changed_dataset_alone_is_rebuilt_and_matches_a_fresh_build(generated, tmp_path):
    sources, output, fresh = tmp_path / "sources", tmp_path / "output", tmp_path / "fresh"
    shutil.copytree(generated, sources)
    build(Project(sources=sources, output=output, jobs=2))
    description = sources / "synth-90002-2022" / "dataset.toml"
    description.write_text(description.read_text(encoding="utf-8").replace(
        'modified = "2022-02-20"', 'modified = "2022-03-01"'), encoding="utf-8")
    again = build(Project(sources=sources, output=output, jobs=2))
    assert [d.key for d in again.datasets if not d.reused] == ["synth-90002-2022"]
    build(Project(sources=sources, output=fresh, jobs=1, reuse=False))
    assert _files(output) == _files(fresh)


@pytest.mark.parametrize("name", ["synth-90001-2021", "minato-2021"])
def test_union_parts_derived_from_the_dumps_are_the_rendered_bytes(generated, tmp_path, name):
    folder = SOURCES / name if name == "minato-2021" else generated / name
    project = Project(sources=folder.parent)
    result = check_dataset(folder, project)
    write_dataset(result, folder, tmp_path, project)
    graph = f"{project.base}/id/{name}"
    assert derived_union_parts(tmp_path / name, name, graph) == union_parts(result.triples, graph)


def test_a_broken_dataset_in_a_parallel_build_publishes_nothing(generated, tmp_path):
    sources, output = tmp_path / "sources", tmp_path / "output"
    shutil.copytree(generated, sources)
    budget = sources / "synth-90001-2022" / "budget.csv"
    lines = budget.read_text(encoding="utf-8").splitlines(keepends=True)
    key, account, year, amount, rest = lines[1].split(",", 4)
    lines[1] = ",".join((key, account, year, str(int(amount) + 1000), rest))  # no longer what the text says
    budget.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(Project(sources=sources, output=output, jobs=2))
    assert "synth-90001-2022/budget.csv:2:amount_yen" in str(caught.value)  # crossed the process boundary
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == []


# -- the runner's logic, without servers -------------------------------------------

DOCUMENTED = ROOT / "benchmarks" / "results" / "2026-11-28.json"
KINDS = {q.name: q.kind for q in mix(2)}


def _documented() -> list[dict]:
    return json.loads(DOCUMENTED.read_text(encoding="utf-8"))


def test_an_older_run_renders_as_documented_with_the_newer_rows_not_run():
    text = report.table(_documented())
    assert "| zaisei serve: start-up to first answer, s | 1.38 | 3.18 | 14.06 | 209.70 |" in text
    assert "| zaisei serve: memory after start, MB / per M triples | 60 / 4.82 GB |" in text
    assert "| zaisei: make persisted store once, s (disk MB) | not run | not run | not run | not run |" in text
    assert "| describe — zaisei --store /sparql (in-memory copy), p50 / p99 ms | not run |" in text
    lines = report.targets(_documented(), KINDS)
    assert "- **MISSED** `zaisei serve` start-up to first answer at 1M: 14.06 s (target ≤ 3 s)" in lines
    assert not any("--store" in line for line in lines)  # configurations not run are not checked


def test_every_configuration_of_ours_is_reported_and_checked():
    result = _documented()[2]  # 1m
    ours = result["engines"]["zaisei"]
    for name, memory in ((engines.STORE, 0.9), (engines.ON_DISK, 0.1)):
        result["engines"][name] = {**copy.deepcopy(ours), "startup": 0.8,
                                   "memory": int(0.1 * 1024 ** 3), "memory_after_mix": int(memory * 1024 ** 3)}
    result["engines"][engines.STORE]["copy"] = {"seconds": 4.5, "memory": int(0.5 * 1024 ** 3)}
    result["zaisei_store"] = {"seconds": 12.0, "disk": 400 * 1024 * 1024}
    text = report.table([result])
    assert "| zaisei: make persisted store once, s (disk MB) | 12.0 (400) |" in text
    assert "| zaisei serve --store: in-memory copy serves, s after launch (memory then, MB) | 4.50 (512) |" in text
    assert "| zaisei serve --store --sparql-on-disk: start-up to first answer, s | 0.80 |" in text
    lines = report.targets([result], KINDS)
    # the larger of the two memories decides: after the mix, the in-memory copy is in it
    assert ("- **MISSED** `zaisei serve --store` memory served per million triples: 0.10 GB after start, "
            "0.86 GB after the query mix (target ≤ 0.6 GB)") in lines
    assert any(line.startswith("- **MET** `zaisei serve --store --sparql-on-disk` memory served") for line in lines)
    assert ("- **MET** `zaisei serve --store` start-up to first answer at 1M: 0.80 s "
            "(in-memory copy serving after 4.5 s) (target ≤ 3 s)") in lines
    on_disk = [line for line in lines if "--sparql-on-disk` total per city-year: overhead" in line]
    assert on_disk and "over the bare engine on the persisted store" in on_disk[0]
    assert sum("build of 1M triples" in line for line in lines) == 1


def test_docs_markers_keep_the_other_runs_section(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# B\n\n<!-- results:start -->\nall sizes\n<!-- results:end -->\n\nprose\n", encoding="utf-8")
    report.write_docs(docs, "store modes\n", "results-store")
    report.write_docs(docs, "store modes, again\n", "results-store")
    text = docs.read_text(encoding="utf-8")
    assert "<!-- results:start -->\nall sizes\n<!-- results:end -->\n\nprose\n" in text
    assert text.endswith("<!-- results-store:start -->\nstore modes, again\n<!-- results-store:end -->\n")


# A stand-in for `zaisei serve`: a child whose command line names zaisei.serving.engine (the
# zygote), forking two workers that hold a file of the store open, or not.
_ZYGOTE = """
import os, sys, time

for _ in range(2):
    if os.fork() == 0:
        held = open(sys.argv[2]) if sys.argv[2] else None
        time.sleep(30)
        os._exit(0)
time.sleep(30)
"""
_SERVER = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', sys.argv[1], 'zaisei.serving.engine', " \
          "sys.argv[2]]); time.sleep(30)"


@pytest.fixture
def fake_server():
    started = []

    def start(held: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", _SERVER, _ZYGOTE, held])
        started.append(process)
        return process

    yield start
    for process in started:
        for pid in reversed(tree(process.pid)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
def test_the_in_memory_copy_serves_when_no_worker_holds_the_persisted_store(fake_server, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "000001.sst").write_text("table")
    on_disk = fake_server(str(store / "000001.sst"))
    in_memory = fake_server("")
    launched = time.perf_counter()
    copy_served = engines.wait_for_copy(in_memory, store, launched, timeout=10)
    assert 0 < copy_served["seconds"] < 10
    assert engines.wait_for_copy(on_disk, store, launched, timeout=1) == {
        "failed": "the in-memory copy did not serve within 1 s"}
