"""Cited source folders: the real datasets reconcile, hand the mappings their citation, and every damage is caught."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.mutations import cases, digit_mutations
from support.paths import FIXTURES, ROOT, SOURCES, run_cli
from zaisei import cli, sources
from zaisei.graph import mapping
from zaisei.publication.build import build
from zaisei.publication.project import BuildError, Project
from zaisei.sources.kinds import CITATION_COLUMNS, TABLE_BY_NAME
from zaisei.sources.reconcile import reconcile

CITED = ["chuo-2020", "chuo-2021", "koto-2021", "minato-2019", "nara-2021", "shijonawate-2021", "shinagawa-2021"]


def _errors(folder: Path) -> list[str]:
    try:
        return [str(f) for f in reconcile(sources.load(folder)).errors]
    except sources.SourceError as exc:
        return exc.problems


@pytest.mark.parametrize("key", CITED)
def test_each_cited_dataset_reconciles_with_every_row_accounted_for(key):
    dataset = sources.load(SOURCES / key)
    report = reconcile(dataset)
    assert dataset.kind == sources.CITED
    assert report.ok, [str(f) for f in report.findings]
    assert report.checks and all(ok for _, ok in report.checks)
    assert report.expressions >= 11 and report.tables == 1


def test_five_municipalities_besides_minato_and_a_second_minato_year():
    cities = {sources.load_description(SOURCES / key)["publisher"]["lg_code"] for key in CITED}
    assert cities == {"131024", "131032", "131083", "131091", "272299", "292010"}


def test_two_editions_agree_on_the_year_they_share():
    """Chuo's FY2020 figures, printed in 億/万 on one page and in 千円 on the next year's, are the same yen."""
    def amounts(key, year):
        return {r["account"]: r["amount_yen"] for r in sources.load(SOURCES / key).rows("budget")
                if r["fiscal_year"] == year}
    assert amounts("chuo-2020", "2020") == amounts("chuo-2021", "2020")
    assert amounts("chuo-2021", "2020")["general"] == "118374610000"


def test_the_loader_computes_exact_yen_and_keeps_the_printed_form():
    budget = sources.load(SOURCES / "chuo-2021").by_key("budget-changes")["general"]
    assert (budget["change_printed"], budget["change_yen"]) == ("△12,952,427", "-12952427000")
    assert (budget["change_rate_printed"], budget["change_rate_percent"]) == ("△10.9", "-10.9")
    land = sources.load(SOURCES / "shijonawate-2021").by_key("budget")["land-acquisition-2021"]
    assert (land["amount_printed"], land["amount_yen"]) == ("4,775万1千円", "47751000")
    rate = sources.load(SOURCES / "minato-2019").by_key("budget-changes")["ltc"]
    assert rate["change_rate_percent"] == "6.0" and rate["change_yen"] == ""


def test_rows_handed_to_the_mappings_say_where_each_figure_was_transcribed_from():
    dataset = sources.load(SOURCES / "shinagawa-2021")
    rows = mapping.table_rows(dataset, "revenue")
    tax = next(r for r in rows if r["key"] == "special-ward-tax")
    assert tax["row"] == "1" and tax["cited_caption_ja"] == "一般会計 歳入" and tax["cited_unit"] == "千円"
    assert tax["cited_page"] == dataset.description["source"]["page"] and tax["cited_table"] == "general-revenue"
    assert tax["amount_yen"] == "49391400000" and tax["amount_printed"] == "49,391,400"
    assert tax["amount_line"] == tax["amount_quote"] == ""  # no quote: nothing was quoted from a line
    assert (tax["national"], tax["match"]) == ("special-ward-tax", "exact")
    block = mapping.values_block(rows, mapping.dataset_bindings(dataset, "https://example.org"))
    assert all(f"?{c}" in block for c in CITATION_COLUMNS) and "?source_kind" in block


def test_every_row_of_a_table_kind_has_the_same_columns_whatever_its_source_kind():
    quoted = sources.load(FIXTURES / "sources" / "testvillage-2030").rows("expenditure")[0]
    cited = sources.load(SOURCES / "shinagawa-2021").rows("revenue")[0]
    assert set(quoted.cells) == set(cited.cells) == set(TABLE_BY_NAME["revenue"].all_columns())
    assert quoted["amount_yen"] == "50000000" and quoted["amount_quote"] == "5,000万円" and quoted["row"] == ""


def test_absent_tables_give_their_mappings_no_rows():
    dataset = sources.load(SOURCES / "chuo-2021")
    for table in ("priorities", "facilities", "revenue", "waivers"):
        assert mapping.table_rows(dataset, table) == []
    assert mapping.quote_rows(dataset) == []  # cited rows hold no quotes


def test_a_header_only_optional_table_is_no_rows(tmp_path):
    folder = tmp_path / "chuo-2021"
    shutil.copytree(SOURCES / "chuo-2021", folder)
    (folder / "budget-changes.csv").write_text("key,account,row,change_printed,change_rate_printed\n", encoding="utf-8")
    (folder / "revenue.csv").write_text("key,parent,account,label_ja,label_en,row,amount_printed\n", encoding="utf-8")
    dataset = sources.load(folder)
    assert dataset.rows("budget-changes") == [] and dataset.rows("revenue") == []
    assert reconcile(dataset).ok


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_bad_input_gets_a_clear_error_and_the_exit_code(case, tmp_path):
    folder = case.make(tmp_path)
    result = CliRunner().invoke(cli.main, ["reconcile", str(folder)])
    assert result.exit_code == case.exit, result.output
    for expected in case.expect:
        assert expected in result.stderr, f"{expected!r} not in:\n{result.stderr}"
    assert str(folder) in result.stderr  # the file named by its path


@pytest.mark.parametrize("case", [c for c in cases() if c.name in ("total-does-not-add-up", "unknown-national-key",
                                                                    "duplicated-row", "citation-without-address")],
                         ids=lambda c: c.name)
def test_a_bad_dataset_stops_the_build_and_leaves_the_output_untouched(case, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(ROOT / "output", output)
    before = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}
    root = tmp_path / "sources"
    root.mkdir()
    shutil.copytree(SOURCES / "minato-2021", root / "minato-2021")
    case.make(root)
    with pytest.raises(BuildError) as caught:
        build(Project(sources=root, output=output))
    assert caught.value.exit_code == case.exit
    assert all(expected in str(caught.value) for expected in case.expect)
    assert {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()} == before


@pytest.mark.parametrize("key", CITED)
def test_one_changed_digit_of_any_figure_is_caught_at_its_row(key, tmp_path):
    folder = tmp_path / key
    shutil.copytree(SOURCES / key, folder)
    mutations = digit_mutations(folder)
    assert len(mutations) >= 20
    for mutation in mutations:
        original = mutation.apply(folder)
        errors = "\n".join(_errors(folder))
        (folder / mutation.file).write_text(original, encoding="utf-8")
        assert re.search(rf"\b{re.escape(mutation.file)}:{mutation.line}\b", errors), \
            f"{mutation} was not caught at its row:\n{errors}"
    assert _errors(folder) == []


def test_held_datasets_are_reconciled_by_the_build_but_not_published(tmp_path):
    root = tmp_path / "sources"
    shutil.copytree(SOURCES / "chuo-2021", root / "chuo-2021")
    toml = root / "chuo-2021" / "dataset.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'licence = "', 'publish = false\npublish_note = "waiting for a second reading"\nlicence = "', 1), encoding="utf-8")
    result = build(Project(sources=root, output=tmp_path / "output"))
    assert result.held == {"chuo-2021": "waiting for a second reading"}
    assert result.datasets == [] and not (tmp_path / "output").exists()


def test_cli_exit_codes_for_a_mutated_cited_figure(tmp_path):
    folder = tmp_path / "chuo-2021"
    shutil.copytree(SOURCES / "chuo-2021", folder)
    budget = folder / "budget.csv"
    budget.write_text(budget.read_text(encoding="utf-8").replace("8,766,095", "8,766,096"), encoding="utf-8")
    checked = run_cli("reconcile", str(folder))
    assert checked.returncode == 1 and "budget.csv:7" in checked.stderr
    built = run_cli("build", "--sources", str(tmp_path), "--output", str(tmp_path / "output"))
    assert built.returncode == 1 and "budget.csv:7" in built.stderr and not (tmp_path / "output").exists()
    assert "20 figures transcribed from 1 cited table(s)" in run_cli("reconcile", "chuo-2021").stdout


def test_amounts_of_every_unit_reach_the_same_yen():
    """千円 cells and 億/万 cells of one account agree once read (Chuo's FY2020 general account)."""
    printed = sources.load(SOURCES / "chuo-2020").by_key("budget")["general-2020"]
    thousand = sources.load(SOURCES / "chuo-2021").by_key("budget")["general-2020"]
    assert Decimal(printed["amount_yen"]) == Decimal(thousand["amount_yen"]) == Decimal("118374610000")


@pytest.mark.parametrize("key", CITED)
def test_the_present_mappings_run_over_a_cited_dataset(key):
    """Until the mappings read cited tables, they still run over them (the shapes then refuse the result)."""
    triples = mapping.run(sources.load(SOURCES / key), ROOT / "mappings", "https://example.org")
    assert any(t.subject.value == f"https://example.org/id/{key}/budget" for t in triples)
