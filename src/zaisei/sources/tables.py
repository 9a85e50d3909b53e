"""Reading a source folder: its description, its document or citation, and the curated tables.

A source folder (``sources/<key>/``) holds ``dataset.toml`` (who, when, what;
``[source] kind`` says quoted or cited), ``accounts.csv``, at least one table of
figures, and either ``document.txt`` (the text as published: quoted) or the
citation of the city's tables (cited.py). The table kinds are in kinds.py;
nothing here knows any particular city or year.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from zaisei.graph.iris import RESERVED_KEYS
from zaisei.sources.cited import CitedTable, cited_tables, complete_row, is_cited
from zaisei.sources.codes import link_problem
from zaisei.sources.kinds import CITED, QUOTED, SOURCE_KINDS, TABLE_BY_NAME, TABLES, TableSpec


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
    cited: dict[str, CitedTable] = field(default_factory=dict)  # table name -> its cited table

    @property
    def key(self) -> str:
        return self.folder.name

    @property
    def kind(self) -> str:
        return CITED if is_cited(self.description) else QUOTED

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

    def half_unit(self, table: str) -> int:
        """Half the rounding unit of a table's figures: n parts may miss their total by n times it."""
        if table in self.cited:
            return self.cited[table].rounding_yen // 2
        return int(self.description.get("rounding_yen", 0)) // 2


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


def _header_problems(path: Path, spec: TableSpec, header: list[str], kind: str) -> list[str]:
    missing = [c for c in spec.required_columns(kind) if c not in header]
    if missing:
        return [f"{path}:1: missing column(s) {', '.join(missing)}; header is {','.join(header)}"]
    computed = [f for f in spec.figures if f.printed and f.value in header] if kind == CITED else []
    if computed:
        return [f"{path}:1: column(s) {', '.join(f.value for f in computed)} are computed from the printed "
                f"figures in a cited folder; type each figure as printed in "
                f"{', '.join(f.printed for f in computed)} and remove them"]
    return []


def _duplicates(path: Path, spec: TableSpec, rows: list[Row], kind: str) -> list[str]:
    """Keys, and rows that say the same thing twice (same account and year, same cited position)."""
    problems = []
    groups = [("key",)] if spec.keyed else []
    groups += [spec.unique] if spec.unique else []
    if kind == CITED and spec.cited:
        groups.append(("row", "fiscal_year") if "fiscal_year" in spec.facts else ("row",))
    for columns in groups:
        seen = {}
        for row in rows:
            value = tuple(row.cells.get(c, "").strip() for c in columns)
            if columns == ("key",) and not value[0]:
                problems.append(f"{row.where(str(path), 'key')}: empty key")
            elif all(value) and value in seen:
                shown = ", ".join(f"{c} {v!r}" for c, v in zip(columns, value))
                what = f"duplicate key {value[0]!r}" if columns == ("key",) else f"duplicate row: {shown}"
                problems.append(f"{row.where(str(path), columns[0])}: {what}, first on line {seen[value]}")
            seen.setdefault(value, row.line)
    return problems


def read_table(path: Path, spec: TableSpec, problems: list[str], kind: str = QUOTED) -> list[Row]:
    """Read one CSV table, checking its header, keys and cell count; absent columns read as empty."""
    text = _read_text(path, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        problems.append(f"{path}:1: empty table (no header)")
        return []
    found = _header_problems(path, spec, header, kind)
    if found:
        problems += found
        return []
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"{path}:{reader.line_num}: {len(cells)} cells, header has {len(header)}")
            continue
        filled = dict.fromkeys(spec.all_columns(), "") | dict(zip(header, cells))
        rows.append(Row(spec.name, reader.line_num, filled))
    problems += _duplicates(path, spec, rows, kind)
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


def _check_links(dataset: Dataset, problems: list[str]) -> None:
    """Each category's national key and match, against the national code lists (codes.py)."""
    for spec in TABLES:
        for row in dataset.rows(spec.name) if spec.national else ():
            problem = link_problem(spec.national, row["national"], row["match"])
            if problem:
                column = "national" if row["national"].strip() else "match"
                problems.append(f"{row.where(dataset.file(spec.name), column)}: {problem}")


def load_description(folder: Path) -> dict:
    """Read dataset.toml; SourceError names the file and line on bad TOML."""
    path = folder / "dataset.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError([f"{path}: missing dataset description"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError([f"{path}: {exc}"]) from None


def held_back(description: dict) -> str | None:
    """Why a dataset is reconciled but not published (``publish = false``), or None to publish it."""
    if description.get("publish", True) is False:
        return str(description.get("publish_note") or "publish = false in dataset.toml")
    return None


# OpenBudgets.eu's budget phases (its code list obeu-budgetphase:, see rdf/namespaces.py).
BUDGET_PHASES = ("draft", "approved", "revised", "executed")


def _folder_problems(folder: Path, description: dict) -> list[str]:
    problems = []
    if folder.name in RESERVED_KEYS or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", folder.name):
        problems.append(f"{folder}: a dataset folder name must be lowercase letters, digits and '-', "
                        f"and none of {', '.join(sorted(RESERVED_KEYS))}")
    unknown = sorted(p.name for p in folder.glob("*.csv") if p.stem not in TABLE_BY_NAME)
    if unknown:
        problems.append(f"{folder / unknown[0]}: not a table kind zaisei knows "
                        f"({', '.join(s.file for s in TABLES)}); rename it or move it out of the folder")
    kind = description.get("source", {}).get("kind", QUOTED)
    if kind not in SOURCE_KINDS:
        problems.append(f"{folder / 'dataset.toml'}: [source] kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    budget = description.get("budget", {})
    for name in ("phase", "previous_phase"):
        if budget.get(name) not in BUDGET_PHASES:
            problems.append(f"{folder / 'dataset.toml'}: [budget] {name} = {budget.get(name)!r} is not one of "
                            f"OpenBudgets.eu's budget phases ({', '.join(BUDGET_PHASES)})")
    return problems


def _read_tables(dataset: Dataset, problems: list[str]) -> None:
    for spec in TABLES:
        path = dataset.folder / spec.file
        if not path.exists():
            if spec.required:
                problems.append(f"{path}: missing table")
        elif dataset.kind == CITED and not spec.cited:
            problems.append(f"{path}: a cited folder holds only the tables "
                            f"{', '.join(s.file for s in TABLES if s.cited)}; {spec.file} needs the quoted kind")
        else:
            dataset.tables[spec.name] = read_table(path, spec, problems, dataset.kind)
            if spec.required and path.exists() and not dataset.tables[spec.name]:
                problems.append(f"{path}:2: empty table (header only)")


def _check_content(dataset: Dataset, problems: list[str]) -> None:
    if not any(dataset.rows(spec.name) for spec in TABLES if spec.holds_figures):
        problems.append(f"{dataset.folder}: no table of figures; a dataset needs at least one row in one of "
                        f"{', '.join(s.file for s in TABLES if s.holds_figures and (s.cited or dataset.kind == QUOTED))}")
    if dataset.kind == QUOTED and not dataset.document.exists():
        problems.append(f"{dataset.document}: missing source document (or declare [source] kind = \"cited\")")


def _complete_cited(dataset: Dataset, problems: list[str]) -> None:
    dataset.cited = cited_tables(str(dataset.folder / "dataset.toml"), dataset.description, problems)
    for name, rows in dataset.tables.items():
        table = dataset.cited.get(name)
        if table is None and rows and not _declared(dataset.description, name):
            problems.append(f"{dataset.file(name)}: no cited table lists it; add \"{name}.csv\" to the files of "
                            "one [source.tables.<id>] in dataset.toml")
        for row in rows if table else ():
            complete_row(row, TABLE_BY_NAME[name], table, dataset.file(name), problems)


def _declared(description: dict, name: str) -> bool:
    """Whether any cited table lists the file (even one whose declaration has a problem of its own)."""
    tables = description.get("source", {}).get("tables", {})
    return any(f"{name}.csv" in map(str, t.get("files", [])) for t in tables.values() if isinstance(t, dict))


def load(folder: Path | str) -> Dataset:
    """Load a source folder, raising SourceError listing every problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError([f"{folder}: no such source folder"])
    description = load_description(folder)
    problems = _folder_problems(folder, description)
    dataset = Dataset(folder, description, {})
    _read_tables(dataset, problems)
    if dataset.kind == CITED:
        _complete_cited(dataset, problems)
    _check_content(dataset, problems)
    _check_refs(dataset, problems)
    _check_links(dataset, problems)
    if problems:
        raise SourceError(problems)
    return dataset


def find(name: str, root: Path | str = "sources") -> Path:
    """A dataset folder given its key (under root) or its path."""
    path = Path(name)
    return path if path.is_dir() or path.parts[:1] == (str(root),) else Path(root) / name
