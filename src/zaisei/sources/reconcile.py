"""Reconcile curated tables with the document they were read from, or the tables they cite.

A quoted folder makes three promises: every quoted row stands at its recorded
line and says what the row says; every figure expression in the document is
used by a row or waived with a reason; the document's own arithmetic holds
within the rounding tolerance. A cited folder makes the promises that can be
kept without the document: every row of each cited table is transcribed or
declared omitted with a reason, and the table's arithmetic holds (totals, changes,
rates). The result is a Report; callers decide what to print.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from zaisei.sources.amounts import AmountError, parse_era_month, squeeze
from zaisei.sources.arithmetic import check_arithmetic
from zaisei.sources.cited import coverage_problems
from zaisei.sources.scan import Document, Expression, scan
from zaisei.sources import CITED, QUOTED, TABLE_BY_NAME, TABLES, Dataset, Figure, Row


@dataclass(frozen=True)
class Finding:
    """One problem or observation, located as file:line."""

    where: str
    message: str
    severity: str = "error"  # error | warning | info

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


@dataclass
class Report:
    """What reconcile found; ``ok`` when nothing is an error."""

    dataset: str
    findings: list[Finding] = field(default_factory=list)
    expressions: int = 0  # figures in the document (quoted) or transcribed from the cited tables (cited)
    used: int = 0
    waived: int = 0  # expressions waived (quoted) or cited rows omitted with a reason (cited)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    kind: str = QUOTED
    tables: int = 0  # cited tables (cited)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def add(self, where: str, message: str, severity: str = "error") -> None:
        self.findings.append(Finding(where, message, severity))


def parse_lines(text: str) -> tuple[int, int]:
    """"367" -> (367, 367); "455-457" -> (455, 457). ValueError if malformed."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", text)
    if not match:
        raise ValueError(f"line reference {text!r} is not N or N-M")
    first, last = int(match[1]), int(match[2] or match[1])
    if last < first:
        raise ValueError(f"line range {text!r} runs backwards")
    return first, last


def locate(document: Document, lines: tuple[int, int], quote: str) -> tuple[int, int] | None:
    """Offsets of quote within the given lines, comparing without whitespace."""
    first, last = lines
    if first < 1 or last > len(document.lines):
        return None
    start, end = document.span(first, last)
    positions = [i for i in range(start, end) if not document.text[i].isspace()]
    squeezed = "".join(document.text[i] for i in positions)
    needle = squeeze(quote)
    found = squeezed.find(needle) if needle else -1
    if found < 0:
        return None
    return positions[found], positions[found + len(needle) - 1] + 1


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


class _Reconciler:
    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.document = Document(dataset.document)
        self.expressions = scan(self.document)
        self.used: set[Expression] = set()
        self.report = Report(dataset.key, expressions=len(self.expressions))

    def inside(self, span: tuple[int, int]) -> list[Expression]:
        return [e for e in self.expressions if span[0] <= e.start and e.end <= span[1]]

    def check_figure(self, file: str, row: Row, figure: Figure) -> None:
        quote, line_text = row[figure.quote], row[figure.line]
        value = row[figure.value] if figure.value else ""
        if not quote.strip() and not line_text.strip():
            if value.strip():
                self.report.add(row.where(file, figure.value), f"{figure.name} {value} has no quote and line")
            return
        try:
            lines = parse_lines(line_text)
        except ValueError as exc:
            self.report.add(row.where(file, figure.line), str(exc))
            return
        span = locate(self.document, lines, quote)
        if span is None:
            self.report.add(row.where(file, figure.quote),
                            f"quote {quote!r} not found at {self.dataset.document.name}:{line_text}")
            return
        if figure.covers:
            self.used.update(self.inside(span))
        if figure.unit == "年月":
            self.match_month(file, row, figure)
        elif figure.value and not figure.covers:
            self.match_value(file, row, figure, span)

    def match_value(self, file: str, row: Row, figure: Figure, span: tuple[int, int]) -> None:
        value = _decimal(row[figure.value])
        unit = figure.unit or row[figure.unit_column].strip()
        if value is None:
            self.report.add(row.where(file, figure.value), f"{figure.name} {row[figure.value]!r} is not a number")
            return
        candidates = [e for e in self.inside(span) if e.unit == unit and e.value is not None]
        # Prefer a figure no other row has claimed: a quote may hold two equal ones.
        for expression in sorted(candidates, key=lambda e: e in self.used):
            if Decimal(expression.value) == value:
                self.used.add(expression)
                self._check_approximate(file, row, expression)
                return
        found = ", ".join(f"{e.text} = {e.value}" for e in candidates) or f"no {unit} figure"
        self.report.add(row.where(file, figure.value),
                        f"{figure.name} is {value} {unit} but the quote {row[figure.quote]!r} says {found}")

    def match_month(self, file: str, row: Row, figure: Figure) -> None:
        try:
            found = parse_era_month(row[figure.quote])
        except AmountError as exc:
            found = str(exc)
        if found != row[figure.value].strip():
            self.report.add(row.where(file, figure.value),
                            f"{figure.name} is {row[figure.value]!r} but the quote says {found}")

    def _check_approximate(self, file: str, row: Row, expression: Expression) -> None:
        if "approximate" not in row.cells:
            return
        stated = row["approximate"].strip().lower() in ("true", "1", "yes")
        if stated != expression.approximate:
            self.report.add(row.where(file, "approximate"),
                            f"approximate is {row['approximate']!r} but the document writes {expression.text!r}")

    def check_waivers(self) -> None:
        file = self.dataset.file("waivers")
        for row in self.dataset.rows("waivers"):
            matches = [e for e in self.expressions if e.lines == row["line"].strip()
                       and squeeze(e.text) == squeeze(row["expression"])]
            if not row["reason"].strip():
                self.report.add(row.where(file, "reason"), "a waiver needs a reason")
            unused = [e for e in matches if e not in self.used]
            if not unused:
                self.report.add(row.where(file, "expression"),
                                f"no unused expression {row['expression']!r} at line {row['line']}")
                continue
            self.used.add(unused[0])
            self.report.waived += 1

    def run(self) -> Report:
        for spec in TABLES:
            for row in self.dataset.rows(spec.name):
                for figure in spec.figures:
                    self.check_figure(self.dataset.file(spec.name), row, figure)
        self.report.used = len(self.used)
        self.check_waivers()
        for expression in self.expressions:
            if expression not in self.used:
                self.report.add(f"{self.dataset.document}:{expression.lines}",
                                f"{expression.kind} {expression.text!r} is used by no row and not waived")
        check_arithmetic(self.dataset, self.report)
        return self.report


def _printed_figures(dataset: Dataset, name: str) -> int:
    figures = [f.printed for f in TABLE_BY_NAME[name].figures if f.printed]
    return sum(1 for row in dataset.rows(name) for column in figures if row[column].strip())


def _reconcile_cited(dataset: Dataset) -> Report:
    report = Report(dataset.key, kind=CITED)
    positions = defaultdict(set)
    for name in (n for n, rows in dataset.tables.items() if rows):  # a header-only table cites nothing
        table = dataset.cited[name]
        positions[table.id].update(int(r["row"]) for r in dataset.rows(name) if r["row"].strip().isdigit())
        report.expressions += _printed_figures(dataset, name)
    where = str(dataset.folder / "dataset.toml")
    for table in {t.id: t for t in dataset.cited.values()}.values():
        report.tables += 1
        report.waived += len(table.omitted)
        for problem in coverage_problems(where, table, positions[table.id]):
            report.add(where, problem.removeprefix(where + ": "))
    report.used = report.expressions
    check_arithmetic(dataset, report)
    return report


def reconcile(dataset: Dataset) -> Report:
    """Check a loaded dataset against its document or its cited tables; see the module docstring."""
    return _reconcile_cited(dataset) if dataset.kind == CITED else _Reconciler(dataset).run()
