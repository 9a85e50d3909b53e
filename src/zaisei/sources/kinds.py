"""The table kinds of a source folder, for both source kinds.

A table kind names its fact columns (keys, labels, values) and its figures.
In a *quoted* folder (the project holds the city's document) each figure has a
line and a quote column; in a *cited* folder (the project cites the city's
table) each row has its position ``row`` in the cited table and each figure its
text as printed (``amount_printed``), from which the loader computes the value
column (``amount_yen``). Every row handed on carries every column of both kinds:
the ones its kind does not have are empty, so the mappings see one set of
variables per table kind (docs/sources.md, "The table contract").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

QUOTED, CITED = "quoted", "cited"
SOURCE_KINDS = (QUOTED, CITED)
# The columns the loader adds to every row of a cited table (from dataset.toml).
CITATION_COLUMNS = ("cited_table", "cited_caption_ja", "cited_caption_en", "cited_unit", "cited_page")


@dataclass(frozen=True)
class Figure:
    """A position in a table row: line and quote columns (quoted), printed column (cited), maybe a value.

    ``covers`` marks verbatim text (an address, opening hours): every figure
    expression inside its quote is published as part of that text. An
    ``optional`` figure's columns may be left out of a header (read as empty).
    """

    name: str
    line: str
    quote: str
    value: str | None = None
    unit: str | None = None
    unit_column: str | None = None
    covers: bool = False
    optional: bool = False

    @property
    def printed(self) -> str | None:
        """The cited kind's column for this figure: "amount_yen" -> "amount_printed"."""
        return re.sub(r"_(yen|percent)$", "", self.value) + "_printed" if self.value else None

    def columns(self, kind: str) -> tuple[str, ...]:
        """The columns a curator types for this figure in a folder of the given kind."""
        if kind == CITED:
            return (self.printed,) if self.printed else ()
        return ((self.value,) if self.value else ()) + (self.line, self.quote)


@dataclass(frozen=True)
class TableSpec:
    """One curated table: fact columns, figures, references and what a cited folder may hold."""

    name: str
    facts: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    refs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keyed: bool = True
    required: bool = False
    national: str | None = None  # the national code list its `national` column names keys of
    unique: tuple[str, ...] = ()  # columns no two rows may share (beyond the key)
    cited: bool = False  # a cited folder may hold it
    holds_figures: bool = False  # counts as the "table of figures" a dataset needs

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def link_columns(self) -> tuple[str, ...]:
        return ("national", "match") if self.national else ()

    def _plain_facts(self) -> list[str]:
        values = {f.value for f in self.figures}
        return [c for c in self.facts if c not in values]

    def required_columns(self, kind: str) -> tuple[str, ...]:
        own = self._plain_facts() + [c for f in self.figures if not f.optional for c in f.columns(kind)]
        return tuple(dict.fromkeys(own + (["row"] if kind == CITED else [])))

    def optional_columns(self, kind: str) -> tuple[str, ...]:
        return tuple(c for f in self.figures if f.optional for c in f.columns(kind)) + self.link_columns

    def all_columns(self) -> tuple[str, ...]:
        """Every column a row of this kind carries when handed on, whatever its source kind."""
        every = list(self.facts) + list(self.link_columns)
        for figure in self.figures:
            every += [c for c in (figure.value, figure.line, figure.quote) if c]
            if self.cited and figure.printed:
                every.append(figure.printed)
        if self.cited:
            every += ["row", *CITATION_COLUMNS]
        return tuple(dict.fromkeys(every))


def _label(line="line", quote="quote"):
    return Figure("label", line, quote)


def _yen(name: str, prefix: str, optional: bool = False) -> Figure:
    return Figure(name, f"{prefix}_line", f"{prefix}_quote", f"{prefix}_yen", "円", optional=optional)


def _percent(name: str, prefix: str, value: str, optional: bool = True) -> Figure:
    return Figure(name, f"{prefix}_line", f"{prefix}_quote", value, "%", optional=optional)


def _categories(name: str, scheme: str) -> TableSpec:
    """Revenue or expenditure by category (款, 項 under it via parent): both years, change, rate."""
    facts = ("key", "parent", "account", "label_ja", "label_en", "amount_yen", "previous_yen", "change_yen",
             "rate_percent")
    figures = (_label(), _yen("amount", "amount"), _yen("previous", "previous", True),
               _yen("change", "change", True), _percent("rate", "rate", "rate_percent"))
    return TableSpec(name, facts, figures, {"parent": (name,), "account": ("accounts",)}, national=scheme,
                     unique=("label_ja", "parent"), cited=True, holds_figures=True)


TABLES = (
    TableSpec("accounts", ("key", "parent", "label_ja", "label_en"), (_label(),), {"parent": ("accounts",)},
              required=True, national="account-kind", cited=True),
    TableSpec("budget", ("key", "account", "fiscal_year", "amount_yen", "ratio_percent"),
              (_yen("amount", "amount"), _percent("ratio", "ratio", "ratio_percent")),
              {"account": ("accounts",)}, unique=("account", "fiscal_year"), cited=True, holds_figures=True),
    TableSpec("budget-changes", ("key", "account", "change_yen", "change_rate_percent"),
              (_yen("change", "change", True), _percent("change rate", "rate", "change_rate_percent")),
              {"account": ("accounts",)}, unique=("account",), cited=True, holds_figures=True),
    _categories("revenue", "revenue"),
    _categories("expenditure", "expenditure"),
    TableSpec("priorities", ("key", "parent", "number", "label_ja", "label_en", "amount_yen"),
              (_label(), _yen("amount", "amount")), {"parent": ("priorities",)}, holds_figures=True),
    TableSpec("policy-figures", ("key", "subject", "label_ja", "label_en", "value", "unit", "approximate"),
              (Figure("value", "line", "quote", "value", unit_column="unit"),),
              {"subject": ("priorities", "accounts")}, holds_figures=True),
    TableSpec("indicators", ("key", "subject", "label_ja", "label_en", "value", "unit", "approximate"),
              (Figure("value", "line", "quote", "value", unit_column="unit"),),
              {"subject": ("priorities", "facilities")}, holds_figures=True),
    TableSpec("facilities", ("key", "part_of", "type", "label_ja", "label_en", "opening", "address_ja"),
              (_label(), Figure("opening", "opening_line", "opening_quote", "opening", "年月", covers=True),
               Figure("address", "address_line", "address_quote", covers=True)),
              {"part_of": ("facilities",)}),
    TableSpec("facility-details", ("key", "facility", "property", "text_ja", "text_en"),
              (Figure("text", "line", "quote", covers=True),), {"facility": ("facilities",)}),
    TableSpec("defects", ("key", "subject", "description_ja", "description_en"),
              (Figure("defect", "line", "quote", covers=True),),
              {"subject": ("priorities", "accounts", "budget", "facilities")}),
    TableSpec("waivers", ("line", "expression", "reason"), keyed=False),
)
TABLE_BY_NAME = {spec.name: spec for spec in TABLES}
