"""The source's own arithmetic: totals, year-on-year changes, rates and ratios.

The city rounds each figure (to 万円 in the narrative, 千円 in a budget table),
so n rounded parts may differ from their stated total by up to n × half the
rounding unit. The unit is data (``rounding_yen`` in dataset.toml, or in a cited
table's declaration; a cited table without one must add up exactly), never a
constant here. A rate or ratio is checked to the precision it is printed with.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from zaisei.sources.kinds import CITED, TABLE_BY_NAME

# The category tables: revenue and expenditure by 款 (and 項 under a parent), both years in one row.
CATEGORY_TABLES = ("revenue", "expenditure")


def _yen(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _column(dataset, table: str, column: str) -> str:
    """The column a curator typed: the printed one in a cited folder ("amount_yen" -> "amount_printed")."""
    if dataset.kind == CITED:
        return next((f.printed for f in TABLE_BY_NAME[table].figures if f.value == column), column)
    return column


def _at(dataset, table: str, row, column: str) -> str:
    """Where a figure stands, as a message shows it: file:line:column, and its text as printed."""
    typed = _column(dataset, table, column)
    shown = f" {row[typed]!r}" if dataset.kind == CITED and row.cells.get(typed, "").strip() else ""
    return f"{row.where(dataset.file(table), typed)}{shown}"


def _part(dataset, table: str, row, column: str) -> str:
    return f"{row.key} {_yen(row[column]):,} ({Path(dataset.file(table)).name}:{row.line})"


def tolerance_of(stated: str) -> Decimal:
    """Half a unit of the last printed digit: "8.0" -> 0.05, "10.92" -> 0.005, "15" -> 0.5."""
    exponent = Decimal(stated.strip()).as_tuple().exponent
    return Decimal(5).scaleb(exponent - 1)


def _children(rows, parent_column="parent") -> dict[str, list]:
    children = defaultdict(list)
    for row in rows:
        if row[parent_column]:
            children[row[parent_column]].append(row)
    return children


def _sum_check(report, where, label, total, parts, half_unit, shown=()) -> None:
    tolerance = len(parts) * half_unit
    found = sum(parts)
    passed = abs(total - found) <= tolerance
    report.checks.append((f"{label}: stated {total:,} vs sum of {len(parts)} parts {found:,} "
                          f"(tolerance {tolerance:,})", passed))
    if not passed:
        listed = f"; the parts: {', '.join(shown)}" if shown else ""
        report.add(where, f"{label}: stated total {total:,} yen but its {len(parts)} parts sum to "
                          f"{found:,} yen (difference {total - found:,}, tolerance {tolerance:,}){listed}")


def _rate_check(report, where, label, stated: str, computed: Decimal, shown: str = "") -> None:
    value, tolerance = Decimal(stated), tolerance_of(stated)
    passed = abs(value - computed) <= tolerance
    report.checks.append((f"{label}: stated {value}% vs computed {computed:.3f}%", passed))
    if not passed:
        report.add(where, f"{label}: stated {value}% but the amounts give {computed:.3f}% "
                          f"(printed to ±{tolerance}){shown}")


def _change_and_rate(dataset, table, row, label, amounts: tuple, columns: tuple[str, str]) -> None:
    """change = now − before, rate = change ÷ before (or (now − before) ÷ before if no change is stated).

    amounts: ((now, where), (before, where)), where naming the rows they stand on.
    """
    (now, now_at), (before, before_at) = amounts
    change_column, rate_column = columns
    change, rate = _yen(row[change_column]), row[rate_column].strip()
    shown = f"; from {now_at} and {before_at}" if now_at != before_at else ""
    if None not in (now, before, change):
        _sum_check(dataset.report, _at(dataset, table, row, change_column), f"change of {label}", change,
                   [now, -before], dataset.half_unit(table), [now_at, before_at])
    if change is None and None not in (now, before):
        change = now - before
    if rate and change is not None and before:
        _rate_check(dataset.report, _at(dataset, table, row, rate_column), f"change rate of {label}", rate,
                    Decimal(change) * 100 / Decimal(before), shown)


def _accounts(dataset) -> dict[tuple[str, str], object]:
    budget = {(r["account"], r["fiscal_year"].strip()): r for r in dataset.rows("budget")}
    for parent, children in _children(dataset.rows("accounts")).items():
        for year in sorted({y for (_, y) in budget}):
            rows = [budget.get((c.key, year)) for c in children]
            total = budget.get((parent, year))
            if total and _yen(total["amount_yen"]) is not None and None not in rows \
                    and None not in [_yen(r["amount_yen"]) for r in rows]:
                _sum_check(dataset.report, _at(dataset, "budget", total, "amount_yen"),
                           f"accounts under {parent}, FY{year}", _yen(total["amount_yen"]),
                           [_yen(r["amount_yen"]) for r in rows], dataset.half_unit("budget"),
                           [_part(dataset, "budget", r, "amount_yen") for r in rows])
    return budget


def _ratios(dataset, budget) -> None:
    roots = [r.key for r in dataset.rows("accounts") if not r["parent"]]
    for row in dataset.rows("budget"):
        year, amount, stated = row["fiscal_year"].strip(), _yen(row["amount_yen"]), row["ratio_percent"].strip()
        total = next((_yen(budget[(root, year)]["amount_yen"]) for root in roots if (root, year) in budget), None)
        if stated and amount is not None and total:
            _rate_check(dataset.report, _at(dataset, "budget", row, "ratio_percent"),
                        f"composition ratio of {row.key}", stated, Decimal(amount) * 100 / Decimal(total))


def _amount_at(dataset, budget, account: str, year: str) -> tuple[int | None, str]:
    row = budget.get((account, year))
    return (_yen(row["amount_yen"]), _part(dataset, "budget", row, "amount_yen")) if row else (None, "")


def _changes(dataset, budget) -> None:
    year = str(dataset.description["fiscal_year"]["year"])
    previous = str(dataset.description["fiscal_year"]["previous"])
    for row in dataset.rows("budget-changes"):
        account = row["account"]
        _change_and_rate(dataset, "budget-changes", row, f"{account} FY{previous}→FY{year}",
                         (_amount_at(dataset, budget, account, year), _amount_at(dataset, budget, account, previous)),
                         ("change_yen", "change_rate_percent"))


def _priorities(dataset) -> None:
    rows = dataset.by_key("priorities")
    for parent, children in _children(dataset.rows("priorities")).items():
        total = _yen(rows[parent]["amount_yen"])
        parts = [_yen(c["amount_yen"]) for c in children]
        if total is not None and None not in parts:
            _sum_check(dataset.report, _at(dataset, "priorities", rows[parent], "amount_yen"),
                       f"initiatives of {parent}", total, parts, dataset.half_unit("priorities"),
                       [_part(dataset, "priorities", c, "amount_yen") for c in children])


def _categories(dataset, table: str) -> None:
    """Revenue or expenditure: each parent is the sum of its children, in every column; each row's change and rate."""
    rows = dataset.by_key(table)
    for parent, children in _children(dataset.rows(table)).items():
        for column in ("amount_yen", "previous_yen", "change_yen"):
            total, parts = _yen(rows[parent][column]), [_yen(c[column]) for c in children]
            if total is not None and None not in parts:
                _sum_check(dataset.report, _at(dataset, table, rows[parent], column),
                           f"{table} under {parent}, {_column(dataset, table, column)}", total, parts,
                           dataset.half_unit(table), [_part(dataset, table, c, column) for c in children])
    for row in dataset.rows(table):
        here = f"{Path(dataset.file(table)).name}:{row.line}"
        _change_and_rate(dataset, table, row, f"{table} {row.key}",
                         ((_yen(row["amount_yen"]), here), (_yen(row["previous_yen"]), here)),
                         ("change_yen", "rate_percent"))


class _Checked:
    """A dataset with the report its checks write to."""

    def __init__(self, dataset, report):
        self._dataset, self.report = dataset, report

    def __getattr__(self, name):
        return getattr(self._dataset, name)


def check_arithmetic(dataset, report) -> None:
    """Append arithmetic checks (and an error for each failure) to report."""
    checked = _Checked(dataset, report)
    budget = _accounts(checked)
    _ratios(checked, budget)
    _changes(checked, budget)
    _priorities(checked)
    for table in CATEGORY_TABLES:
        _categories(checked, table)
