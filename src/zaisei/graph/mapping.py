"""Run the declarative mappings: each CSV table becomes a VALUES block.

Tarql style: every column of a row is bound to a variable named after its
header (``-`` becomes ``_``), as a plain string, empty cells UNDEF, in a
VALUES block placed at the start of the mapping's WHERE clause; the
dataset description is bound alongside (``publisher.name_ja`` becomes
``?publisher_name_ja``), with ``?base`` and ``?ds`` (the dataset's IRI
prefix). Mappings run in file-name order over the graph built so far, so a
later mapping may look up labels an earlier one wrote. No per-table Python.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from zaisei.graph.description import flatten
from zaisei.graph.iris import mint
from zaisei.sources import TABLES, Dataset
from zaisei.rdf.store import GraphStore, StoreError, with_values

_MAPPING_NAME = re.compile(r"^\d+-(?P<table>[a-z-]+)\.rq$")


class MappingError(Exception):
    """A mapping that failed: names the file and the engine's message."""


@dataclass(frozen=True)
class Mapping:
    path: Path

    @property
    def table(self) -> str:
        return _MAPPING_NAME.match(self.path.name)["table"]


def mappings(folder: Path) -> list[Mapping]:
    """The mapping files of a folder, in the order they run."""
    return [Mapping(p) for p in sorted(folder.glob("*.rq")) if _MAPPING_NAME.match(p.name)]


def _variable(name: str) -> str:
    return "?" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _literal(value: str) -> str:
    if value == "":
        return "UNDEF"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def dataset_bindings(dataset: Dataset, base: str) -> dict[str, str]:
    """The variables every mapping of a dataset sees."""
    bound = flatten(dataset.description, top="dataset_{}", skip=("key",))
    bound.update(base=base.rstrip("/"), dataset=dataset.key, ds=mint(base, "dataset", dataset=dataset.key))
    return bound


def quote_rows(dataset: Dataset) -> list[dict[str, str]]:
    """Every quoted figure of every table as one row: table, key, figure, line, quote."""
    rows = []
    for spec in TABLES:
        for row in dataset.rows(spec.name):
            for figure in spec.figures:
                if row[figure.line].strip() and row[figure.quote].strip():
                    rows.append({"table": spec.name, "key": row.key, "figure": figure.name.replace(" ", "-"),
                                 "line": row[figure.line].strip(), "quote": row[figure.quote]})
    return rows


def cited_table_rows(dataset: Dataset) -> list[dict[str, str]]:
    """Each table of the city's that a cited dataset transcribes: its citation columns and row count."""
    tables = {table.id: table for table in dataset.cited.values()}
    return [{**table.columns(), "cited_rows": str(table.rows)} for _, table in sorted(tables.items())]


def table_rows(dataset: Dataset, table: str, folder: Path | None = None) -> list[dict[str, str]]:
    """The rows a mapping for `table` receives: a table of the dataset, or a lookup table
    of the mappings folder shared by every dataset (units.csv: each unit as written, its IRI)."""
    if table == "dataset":
        return [{}]
    if table == "quotes":
        return quote_rows(dataset)
    if table == "cited-tables":
        return cited_table_rows(dataset)
    if folder is not None and (folder / f"{table}.csv").is_file():
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    return [row.cells for row in dataset.rows(table)]


def _cell(value: str, column: str) -> str:
    # Quotes stay exactly as curated; other cells lose stray padding.
    return value if column.endswith("quote") else value.strip()


def values_block(rows: list[dict[str, str]], bound: dict[str, str]) -> str:
    """A SPARQL VALUES clause binding each row's cells plus the dataset variables."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    clash = set(columns) & set(bound)
    if clash:
        raise MappingError(f"table columns {sorted(clash)} clash with dataset variables")
    fixed = " ".join(_literal(bound[name]) for name in sorted(bound))
    lines = [f"VALUES ({' '.join(_variable(c) for c in columns + sorted(bound))}) {{"]
    for row in rows:
        cells = " ".join(_literal(_cell(row.get(c, ""), c)) for c in columns)
        lines.append(f"  ({cells} {fixed})")
    lines.append("}")
    return "\n".join(lines)


def run(dataset: Dataset, folder: Path, base: str) -> list:
    """Map a dataset: returns its triples, sorted."""
    store, bound = GraphStore(), dataset_bindings(dataset, base)
    for mapping in mappings(folder):
        rows = table_rows(dataset, mapping.table, folder)
        if not rows:
            continue
        try:
            query = with_values(mapping.path.read_text(encoding="utf-8"), values_block(rows, bound))
            store.add(store.construct(query))
        except StoreError as exc:
            raise MappingError(f"{mapping.path}: {exc}") from exc
    return store.triples()
