"""Source folders: the city's document, its description, and the curated tables.

A source folder (``sources/<key>/``) holds ``document.txt`` (the text as
published), ``dataset.toml`` (who, when, what) and the CSV tables declared in
TABLES below. The table layout is the contract between curators, reconcile
and the mappings; nothing here knows any particular city or year.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from zaisei.graph.iris import RESERVED_KEYS


@dataclass(frozen=True)
class Figure:
    """A quoted position in a table row: line and quote columns, maybe a value.

    ``covers`` marks verbatim text (an address, opening hours): every figure
    expression inside its quote is published as part of that text.
    """

    name: str
    line: str
    quote: str
    value: str | None = None
    unit: str | None = None
    unit_column: str | None = None
    covers: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One curated table: its columns, quoted figures and references."""

    name: str
    columns: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    refs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keyed: bool = True
    required: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


def _label(line="line", quote="quote"):
    return Figure("label", line, quote)


TABLES = (
    TableSpec("accounts", ("key", "parent", "label_ja", "label_en", "line", "quote", "national", "match"),
              (_label(),), {"parent": ("accounts",)}, required=True),
    TableSpec("budget", ("key", "account", "fiscal_year", "amount_yen", "amount_line", "amount_quote",
                         "ratio_percent", "ratio_line", "ratio_quote"),
              (Figure("amount", "amount_line", "amount_quote", "amount_yen", "円"),
               Figure("ratio", "ratio_line", "ratio_quote", "ratio_percent", "%")),
              {"account": ("accounts",)}, required=True),
    TableSpec("budget-changes", ("key", "account", "change_yen", "change_line", "change_quote",
                                 "change_rate_percent", "rate_line", "rate_quote"),
              (Figure("change", "change_line", "change_quote", "change_yen", "円"),
               Figure("change rate", "rate_line", "rate_quote", "change_rate_percent", "%")),
              {"account": ("accounts",)}),
    TableSpec("priorities", ("key", "parent", "number", "label_ja", "label_en", "line", "quote",
                             "amount_yen", "amount_line", "amount_quote"),
              (_label(), Figure("amount", "amount_line", "amount_quote", "amount_yen", "円")),
              {"parent": ("priorities",)}, required=True),
    TableSpec("policy-figures", ("key", "subject", "label_ja", "label_en", "value", "unit",
                                 "approximate", "line", "quote"),
              (Figure("value", "line", "quote", "value", unit_column="unit"),),
              {"subject": ("priorities", "accounts")}),
    TableSpec("indicators", ("key", "subject", "label_ja", "label_en", "value", "unit",
                             "approximate", "line", "quote"),
              (Figure("value", "line", "quote", "value", unit_column="unit"),),
              {"subject": ("priorities", "facilities")}),
    TableSpec("facilities", ("key", "part_of", "type", "label_ja", "label_en", "line", "quote",
                             "opening", "opening_line", "opening_quote",
                             "address_ja", "address_line", "address_quote"),
              (_label(), Figure("opening", "opening_line", "opening_quote", "opening", "年月", covers=True),
               Figure("address", "address_line", "address_quote", covers=True)),
              {"part_of": ("facilities",)}),
    TableSpec("facility-details", ("key", "facility", "property", "text_ja", "text_en", "line", "quote"),
              (Figure("text", "line", "quote", covers=True),), {"facility": ("facilities",)}),
    TableSpec("defects", ("key", "subject", "line", "quote", "description_ja", "description_en"),
              (Figure("defect", "line", "quote", covers=True),),
              {"subject": ("priorities", "accounts", "budget", "facilities")}),
    TableSpec("waivers", ("line", "expression", "reason"), keyed=False),
)
TABLE_BY_NAME = {spec.name: spec for spec in TABLES}


class SourceError(Exception):
    """A source folder that cannot be read; problems name file:line:column."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Row:
    """A table row with the file line it stands on (header is line 1)."""

    table: str
    line: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells[column]

    @property
    def key(self) -> str:
        return self.cells.get("key", "")

    def where(self, file: str, column: str | None = None) -> str:
        return f"{file}:{self.line}" + (f":{column}" if column else "")


@dataclass
class Dataset:
    """A loaded source folder."""

    folder: Path
    description: dict
    tables: dict[str, list[Row]]

    @property
    def key(self) -> str:
        return self.folder.name

    @property
    def document(self) -> Path:
        return self.folder / self.description.get("source", {}).get("file", "document.txt")

    def file(self, table: str) -> str:
        """Path of a table as messages show it."""
        return str(self.folder / TABLE_BY_NAME[table].file)

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])

    def by_key(self, table: str) -> dict[str, Row]:
        return {row.key: row for row in self.rows(table)}


def _read_text(path: Path, problems: list[str]) -> str | None:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(f"{path}:1: starts with a byte-order mark; save as UTF-8 without BOM")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: not UTF-8 (byte {data[exc.start]:#04x}); "
                        "Shift_JIS files must be converted to UTF-8")
        return None


def read_table(path: Path, spec: TableSpec, problems: list[str]) -> list[Row]:
    """Read one CSV table, checking its header, keys and cell count."""
    text = _read_text(path, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        problems.append(f"{path}:1: empty table (no header)")
        return []
    missing = [c for c in spec.columns if c not in header]
    if missing:
        problems.append(f"{path}:1: missing column(s) {', '.join(missing)}; header is {','.join(header)}")
        return []
    rows, seen = [], {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"{path}:{line}: {len(cells)} cells, header has {len(header)}")
            continue
        row = Row(spec.name, line, dict(zip(header, cells)))
        if spec.keyed and (row.key in seen or not row.key):
            problems.append(f"{path}:{line}:key: {'duplicate key ' + repr(row.key) + ', first on line ' + str(seen.get(row.key)) if row.key else 'empty key'}")
        seen.setdefault(row.key, line)
        rows.append(row)
    if not rows and spec.keyed:
        problems.append(f"{path}:2: empty table (header only)")
    return rows


def _check_refs(dataset: Dataset, problems: list[str]) -> None:
    keys = {name: set(dataset.by_key(name)) for name in dataset.tables}
    for spec in TABLES:
        for row in dataset.rows(spec.name):
            for column, targets in spec.refs.items():
                value = row[column]
                if value and not any(value in keys.get(t, ()) for t in targets):
                    problems.append(f"{row.where(dataset.file(spec.name), column)}: {value!r} "
                                    f"is not a key of {' or '.join(targets)}")


def load_description(folder: Path) -> dict:
    """Read dataset.toml; SourceError names the file and line on bad TOML."""
    path = folder / "dataset.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError([f"{path}: missing dataset description"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError([f"{path}: {exc}"]) from None


def load(folder: Path | str) -> Dataset:
    """Load a source folder, raising SourceError listing every problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError([f"{folder}: no such source folder"])
    description, problems, tables = load_description(folder), [], {}
    if folder.name in RESERVED_KEYS or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", folder.name):
        problems.append(f"{folder}: a dataset folder name must be lowercase letters, digits and '-', "
                        f"and none of {', '.join(sorted(RESERVED_KEYS))}")
    for spec in TABLES:
        path = folder / spec.file
        if path.exists():
            tables[spec.name] = read_table(path, spec, problems)
        elif spec.required:
            problems.append(f"{path}: missing table")
    dataset = Dataset(folder, description, tables)
    if not dataset.document.exists():
        problems.append(f"{dataset.document}: missing source document")
    _check_refs(dataset, problems)
    if problems:
        raise SourceError(problems)
    return dataset


def find(name: str, root: Path | str = "sources") -> Path:
    """A dataset folder given its key (under root) or its path."""
    path = Path(name)
    return path if path.is_dir() or path.parts[:1] == (str(root),) else Path(root) / name
