"""The document's own arithmetic: totals, year-on-year changes, ratios.

The city rounds each figure (to 万円 in the narrative, 千円 in the budget
table), so n rounded parts may differ from their stated total by up to
n × half the rounding unit. The unit is data (``rounding_yen`` in
dataset.toml), never a constant here.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

# Ratios and rates are stated to one decimal: a correct figure is within
# half a unit of the last digit of the value computed from the amounts.
RATE_TOLERANCE = Decimal("0.05")


def _yen(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _children(rows, parent_column="parent") -> dict[str, list]:
    children = defaultdict(list)
    for row in rows:
        if row[parent_column]:
            children[row[parent_column]].append(row)
    return children


def _sum_check(report, where, label, total, parts, half_unit) -> None:
    tolerance = len(parts) * half_unit
    found = sum(parts)
    passed = abs(total - found) <= tolerance
    report.checks.append((f"{label}: stated {total:,} vs sum of {len(parts)} parts {found:,} "
                          f"(tolerance {tolerance:,})", passed))
    if not passed:
        report.add(where, f"{label}: stated total {total:,} yen but its {len(parts)} parts sum to "
                          f"{found:,} yen (difference {total - found:,}, tolerance {tolerance:,})")


def _rate_check(report, where, label, stated, computed) -> None:
    passed = abs(stated - computed) <= RATE_TOLERANCE
    report.checks.append((f"{label}: stated {stated}% vs computed {computed:.3f}%", passed))
    if not passed:
        report.add(where, f"{label}: stated {stated}% but the amounts give {computed:.2f}%")


def _accounts(dataset, report, half_unit) -> dict[tuple[str, str], int]:
    amounts = {(r["account"], r["fiscal_year"].strip()): _yen(r["amount_yen"]) for r in dataset.rows("budget")}
    file = dataset.file("budget")
    budget = {(r["account"], r["fiscal_year"].strip()): r for r in dataset.rows("budget")}
    for parent, children in _children(dataset.rows("accounts")).items():
        for year in sorted({y for (_, y) in amounts}):
            parts = [amounts.get((c.key, year)) for c in children]
            total, row = amounts.get((parent, year)), budget.get((parent, year))
            if row and total is not None and None not in parts:
                _sum_check(report, row.where(file, "amount_yen"), f"accounts under {parent}, FY{year}",
                           total, parts, half_unit)
    return amounts


def _ratios(dataset, report, amounts) -> None:
    roots = [r.key for r in dataset.rows("accounts") if not r["parent"]]
    file = dataset.file("budget")
    for row in dataset.rows("budget"):
        year, amount, stated = row["fiscal_year"].strip(), _yen(row["amount_yen"]), row["ratio_percent"].strip()
        total = next((amounts.get((root, year)) for root in roots if (root, year) in amounts), None)
        if stated and amount is not None and total:
            _rate_check(report, row.where(file, "ratio_percent"), f"composition ratio of {row.key}",
                        Decimal(stated), Decimal(amount) * 100 / Decimal(total))


def _changes(dataset, report, amounts, half_unit) -> None:
    year = str(dataset.description["fiscal_year"]["year"])
    previous = str(dataset.description["fiscal_year"]["previous"])
    file = dataset.file("budget-changes")
    for row in dataset.rows("budget-changes"):
        now, before, change = amounts.get((row["account"], year)), amounts.get((row["account"], previous)), _yen(row["change_yen"])
        if None in (now, before, change):
            continue
        _sum_check(report, row.where(file, "change_yen"), f"change of {row['account']} FY{previous}→FY{year}",
                   change, [now, -before], half_unit)
        if row["change_rate_percent"].strip() and before:
            _rate_check(report, row.where(file, "change_rate_percent"), f"change rate of {row['account']}",
                        Decimal(row["change_rate_percent"]), Decimal(change) * 100 / Decimal(before))


def _priorities(dataset, report, half_unit) -> None:
    rows = dataset.by_key("priorities")
    file = dataset.file("priorities")
    for parent, children in _children(dataset.rows("priorities")).items():
        total = _yen(rows[parent]["amount_yen"])
        parts = [_yen(c["amount_yen"]) for c in children]
        if total is not None and None not in parts:
            _sum_check(report, rows[parent].where(file, "amount_yen"), f"initiatives of {parent}",
                       total, parts, half_unit)


def check_arithmetic(dataset, report) -> None:
    """Append arithmetic checks (and an error for each failure) to report."""
    half_unit = int(dataset.description.get("rounding_yen", 0)) // 2
    amounts = _accounts(dataset, report, half_unit)
    _ratios(dataset, report, amounts)
    _changes(dataset, report, amounts, half_unit)
    _priorities(dataset, report, half_unit)
