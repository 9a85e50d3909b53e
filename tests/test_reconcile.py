"""Reconcile: the real data passes; each kind of damage is caught at its row."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from support.paths import FIXTURES, SHARED, SOURCES, need_shared, run_cli
from zaisei import sources
from zaisei.sources.reconcile import reconcile
from zaisei.sources.scan import Document, scan


def test_minato_reconciles_with_every_figure_accounted_for():
    report = reconcile(sources.load(SOURCES / "minato-2021"))
    assert report.ok, [str(f) for f in report.findings]
    assert report.expressions > 100
    assert report.used + report.waived == report.expressions
    assert report.checks and all(ok for _, ok in report.checks)


def test_cli_reports_the_summary_and_exits_zero():
    result = run_cli("reconcile", "minato-2021")
    assert result.returncode == 0, result.stderr
    assert "0 unaccounted" in result.stdout


def test_second_dataset_needs_no_code_change():
    report = reconcile(sources.load(FIXTURES / "sources" / "testtown-2030"))
    assert report.ok, [str(f) for f in report.findings]
    assert report.used == report.expressions


def test_document_is_byte_for_byte_the_citys():
    seed = need_shared(SHARED / "seed") / "000_647dbc7142fa0575.txt"
    assert (SOURCES / "minato-2021" / "document.txt").read_bytes() == seed.read_bytes()


def test_scanner_finds_the_hard_cases():
    found = {(e.line, e.value) for e in scan(Document(SOURCES / "minato-2021" / "document.txt"))}
    assert (1018, 634_940_000) in found       # "６ 億 3, 4 9 4 万 円"
    assert (481, 5_621_380_000) in found      # pillar 2's distant total
    assert (870, 15) in found                 # "15" and "時間" on different lines


def _edit(path: Path, key: str, column: str, value: str) -> int:
    with path.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    index = next(i for i, r in enumerate(rows) if r["key"] == key)
    rows[index][column] = value
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return index + 2


def _errors(folder: Path) -> list[str]:
    return [str(f) for f in reconcile(sources.load(folder)).errors]


def test_one_changed_digit_is_caught_at_its_row(minato_copy):
    line = _edit(minato_copy / "priorities.csv", "initiative-3-2", "amount_yen", "339450000")
    errors = _errors(minato_copy)
    assert any(f"priorities.csv:{line}:amount_yen" in e for e in errors)


def test_a_deleted_row_leaves_its_figure_unaccounted(minato_copy):
    path = minato_copy / "indicators.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(l for l in lines if not l.startswith("doula-hours-after,")), encoding="utf-8")
    errors = _errors(minato_copy)
    assert any("document.txt:870-872" in e and "15 時間" in e for e in errors)


def test_a_quote_not_in_the_text_is_caught(minato_copy):
    line = _edit(minato_copy / "policy-figures.csv", "review-savings", "quote", "89 事業 計 12 億円の削減")
    errors = _errors(minato_copy)
    assert any(f"policy-figures.csv:{line}:quote" in e and "not found" in e for e in errors)


def test_a_quote_at_the_wrong_line_is_caught(minato_copy):
    line = _edit(minato_copy / "priorities.csv", "pillar-2", "amount_line", "480")
    assert any(f"priorities.csv:{line}:amount_quote" in e for e in _errors(minato_copy))


def test_arithmetic_mismatch_beyond_tolerance_is_caught(minato_copy):
    _edit(minato_copy / "budget-changes.csv", "ltc", "change_rate_percent", "-7.1")
    assert any("change rate of ltc" in e for e in _errors(minato_copy))


def test_a_waiver_without_a_matching_expression_is_an_error(minato_copy):
    with (minato_copy / "waivers.csv").open("a", encoding="utf-8") as out:
        out.write("999,99 億円,no such figure\n")
    assert any("waivers.csv" in e and "99 億円" in e for e in _errors(minato_copy))


@pytest.mark.parametrize("damage, expected", [
    (lambda d: (d / "budget.csv").write_bytes(b"\xef\xbb\xbf" + (d / "budget.csv").read_bytes()), "byte-order mark"),
    (lambda d: (d / "accounts.csv").write_bytes((d / "accounts.csv").read_text(encoding="utf-8").encode("shift_jis")), "not UTF-8"),
    (lambda d: (d / "priorities.csv").write_text("key,parent\n", encoding="utf-8"), "missing column"),
    (lambda d: (d / "accounts.csv").write_text("key,parent,label_ja,label_en,line,quote\n", encoding="utf-8"), "empty table"),
    (lambda d: _edit(d / "priorities.csv", "initiative-1-2", "key", "initiative-1-1"), "duplicate key"),
    (lambda d: _edit(d / "priorities.csv", "initiative-1-2", "parent", "pillar-9"), "'pillar-9' is not a key"),
])
def test_bad_source_files_cannot_load(minato_copy, damage, expected):
    damage(minato_copy)
    with pytest.raises(sources.SourceError) as caught:
        sources.load(minato_copy)
    assert expected in str(caught.value)
    assert str(minato_copy) in str(caught.value)


def test_cli_exit_codes(minato_copy):
    _edit(minato_copy / "budget.csv", "general-2021", "amount_yen", "162410100000")
    result = run_cli("reconcile", str(minato_copy))
    assert result.returncode == 1
    assert "budget.csv:4:amount_yen" in result.stderr
    (minato_copy / "accounts.csv").unlink()  # the one table every dataset needs
    assert run_cli("reconcile", str(minato_copy)).returncode == 2


def test_scan_cli_prints_lines_and_headings():
    result = run_cli("scan", "sources/minato-2021/document.txt")
    assert result.returncode == 0
    assert "document.txt:481\tyen\t56 億 2,138 万円\t5621380000" in result.stdout


def test_a_quoted_dataset_needs_only_accounts_and_one_table_of_figures():
    report = reconcile(sources.load(FIXTURES / "sources" / "testvillage-2030"))
    assert report.ok, [str(f) for f in report.findings]
    assert report.used == report.expressions == 12
    assert sum(ok for _, ok in report.checks) == 9  # sums of three columns, three changes, three rates


def test_a_quoted_expenditure_figure_is_checked_against_its_quote(tmp_path):
    folder = tmp_path / "testvillage-2030"
    shutil.copytree(FIXTURES / "sources" / "testvillage-2030", folder)
    line = _edit(folder / "expenditure.csv", "assembly", "previous_yen", "48100000")
    errors = _errors(folder)
    assert any(f"expenditure.csv:{line}:previous_yen" in e and "4,800万円" in e for e in errors)
    assert any("expenditure under total, previous_yen" in e for e in errors)
