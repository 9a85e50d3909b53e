"""The cited source kind: the city's tables cited, their figures typed in as printed.

A cited folder holds no document. Its dataset.toml cites where the figures
stand (``[source]``: title, web address, publication and retrieval dates) and
declares each cited table (``[source.tables.<id>]``: caption, unit, the CSV
files transcribed from it, its number of rows, rows left out and why). Each
CSV row gives its position ``row`` in the cited table and each figure as
printed; the loader computes the exact values (``amount_yen``, ``rate_percent``)
and adds the citation columns (``cited_*``) every row hands to the mappings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zaisei.sources.amounts import TABLE_UNITS, AmountError, parse_rate, parse_table_amount
from zaisei.sources.kinds import CITED, TABLE_BY_NAME, TABLES, TableSpec

_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")
# [source] keys a citation needs, with what each is for the messages.
CITATION = {"title_ja": "the title of the cited page or document", "page": "its web address",
            "date": "its publication date (YYYY-MM-DD or YYYY-MM)", "retrieved": "the date it was read (YYYY-MM-DD)"}


@dataclass(frozen=True)
class CitedTable:
    """One table of the city's, as dataset.toml declares it."""

    id: str
    caption_ja: str
    caption_en: str
    unit: str
    page: str
    files: tuple[str, ...]
    rows: int
    rounding_yen: int = 0
    omitted: dict[int, str] = field(default_factory=dict)

    def columns(self) -> dict[str, str]:
        """The citation columns every row transcribed from this table carries."""
        return {"cited_table": self.id, "cited_caption_ja": self.caption_ja, "cited_caption_en": self.caption_en,
                "cited_unit": self.unit, "cited_page": self.page}


def _citation_problems(where: str, source: dict) -> list[str]:
    problems = []
    for key, what in CITATION.items():
        undated = key == "date" and str(source.get("date_note", "")).strip()  # "n.d.", said why
        if not str(source.get(key, "")).strip() and not undated:
            problems.append(f"{where}: [source] {key} is missing: a citation needs {what}"
                            + (" (if the page states none, say so in date_note)" if key == "date" else ""))
    page = str(source.get("page", "")).strip()
    if page and not re.match(r"https?://\S+$", page):
        problems.append(f"{where}: [source] page {page!r} is not a web address (http:// or https://)")
    for key in ("date", "retrieved"):
        value = str(source.get(key, "")).strip()
        if value and not _DATE.fullmatch(value):
            problems.append(f"{where}: [source] {key} {value!r} is not a date (YYYY-MM-DD)")
    return problems


def _omitted(where: str, entries, problems: list[str]) -> dict[int, str]:
    omitted = {}
    for entry in entries if isinstance(entries, list) else []:
        row, reason = entry.get("row"), str(entry.get("reason", "")).strip()
        if not isinstance(row, int) or not reason:
            problems.append(f"{where}: omitted = {entry!r}: each omitted row needs a row number and a reason")
            continue
        omitted[row] = reason
    return omitted


def _table(where: str, key: str, table: dict, page: str, problems: list[str]) -> CitedTable | None:
    where = f"{where}: [source.tables.{key}]"
    missing = [k for k in ("caption_ja", "unit", "files", "rows") if k not in table]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)} (caption_ja, unit, files, rows are required)")
        return None
    if table["unit"] not in TABLE_UNITS:
        problems.append(f"{where}: unit {table['unit']!r} is not one of {', '.join(TABLE_UNITS)}")
        return None
    if not isinstance(table["rows"], int) or table["rows"] < 1:
        problems.append(f"{where}: rows {table['rows']!r} must be the number of rows of the cited table (1 or more)")
        return None
    unknown = [f for f in map(str, table["files"]) if f.removesuffix(".csv") not in TABLE_BY_NAME]
    if unknown:
        problems.append(f"{where}: files {', '.join(map(repr, unknown))} are not table kinds "
                        f"({', '.join(s.file for s in TABLES if s.cited)})")
    table_page = str(table.get("page", page)).strip()
    if "page" in table and not re.match(r"https?://\S+$", table_page):  # [source] page is checked once
        problems.append(f"{where}: page {table_page!r} is not a web address")
    return CitedTable(key, table["caption_ja"], table.get("caption_en", ""), table["unit"], table_page,
                      tuple(str(f).removesuffix(".csv") for f in table["files"]), table["rows"],
                      int(table.get("rounding_yen", 0)), _omitted(where, table.get("omitted", []), problems))


def cited_tables(where: str, description: dict, problems: list[str]) -> dict[str, CitedTable]:
    """Table name (e.g. "budget") -> the cited table it was transcribed from; problems appended."""
    source = description.get("source", {})
    problems += _citation_problems(where, source)
    by_file: dict[str, CitedTable] = {}
    for key, declared in sorted(source.get("tables", {}).items()):
        table = _table(where, key, declared, str(source.get("page", "")), problems)
        for name in table.files if table else ():
            if name in by_file:
                problems.append(f"{where}: {name}.csv is declared by tables {by_file[name].id!r} and {key!r}")
            by_file[name] = table
    if not source.get("tables"):
        problems.append(f"{where}: a cited source declares its tables ([source.tables.<id>] with caption_ja, "
                        "unit, files, rows)")
    return by_file


def _value(spec_figure, text: str, unit: str) -> str:
    if spec_figure.unit == "%":
        return str(parse_rate(text))
    return str(parse_table_amount(text, unit))


def complete_row(row, spec: TableSpec, table: CitedTable, file: str, problems: list[str]) -> None:
    """Fill a cited row's computed values and citation columns in place; problems name file:line:column."""
    row.cells.update(table.columns())
    for figure in spec.figures:
        printed = figure.printed and row.cells.get(figure.printed, "").strip()
        if not printed:
            continue
        try:
            row.cells[figure.value] = _value(figure, printed, table.unit)
        except AmountError as exc:
            problems.append(f"{row.where(file, figure.printed)}: {exc}")
    _check_position(row, spec, table, file, problems)


def _check_position(row, spec: TableSpec, table: CitedTable, file: str, problems: list[str]) -> None:
    text = row.cells.get("row", "").strip()
    if not text and spec.name == "accounts":
        return  # an account the table's caption names (一般会計 歳入) has no row of its own
    if not text.isdigit() or not 1 <= int(text) <= table.rows:
        problems.append(f"{row.where(file, 'row')}: row {text!r} is not a position in cited table "
                        f"{table.id!r} (1 to {table.rows})")
    elif int(text) in table.omitted:
        problems.append(f"{row.where(file, 'row')}: row {text} of cited table {table.id!r} is declared omitted "
                        f"({table.omitted[int(text)]}) but transcribed here")


def coverage_problems(where: str, table: CitedTable, positions: set[int]) -> list[str]:
    """Rows of a cited table that no CSV row transcribes and no omission explains."""
    missing = sorted(set(range(1, table.rows + 1)) - positions - set(table.omitted))
    if not missing:
        return []
    return [f"{where}: rows {', '.join(map(str, missing))} of cited table {table.id!r} ({table.caption_ja}) "
            f"are transcribed by no row and not declared omitted"]


def is_cited(description: dict) -> bool:
    return description.get("source", {}).get("kind") == CITED
