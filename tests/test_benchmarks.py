"""The benchmark generator's smallest size, as a smoke test (not timed: the benchmarks are not CI).

The generated folders must pass `zaisei reconcile` with every figure
accounted for, and build: in parallel worker processes, then again with
every dataset unchanged and reused, giving the same bytes; a changed dataset
alone is rebuilt, and the result is byte-identical to a fresh build; a broken
one stops the whole build and publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SOURCES, run_cli
from zaisei.build import (BuildError, Project, build, check_dataset, derived_union_parts, union_parts,
                          write_dataset)

if str(ROOT) not in sys.path:  # benchmarks/ is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))
from benchmarks.generate import SIZES, check_digit, dataset, generate, municipalities  # noqa: E402

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
