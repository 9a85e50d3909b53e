"""The national code lists: one CSV per SKOS scheme and schemes.toml (ontology/codes/).

Every dataset shares them, so their concepts have IRIs of their own, outside any dataset
(graph.iris.CODES). A table row names a concept by its key in the scheme its table kind
implies; this module reads the lists and answers whether a key exists, so sources can be
checked before anything is built. Problems name file, line and value.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("key", "broader", "label_ja", "label_en", "matches", "note_en")
# SKOS mapping properties by the word a table's `match` column (or a code list's matches) uses.
MATCHES = {"exact": "exactMatch", "close": "closeMatch", "broad": "broadMatch", "narrow": "narrowMatch",
           "related": "relatedMatch"}


class CodeListError(Exception):
    """Code lists that cannot be read; each problem names file:line and value."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Concept:
    scheme: str
    key: str
    broader: tuple[str, ...]
    label_ja: str
    label_en: str
    matches: tuple[tuple[str, str, str], ...]   # (match kind, scheme, key)
    note_en: str


@dataclass(frozen=True)
class Scheme:
    name: str
    description: dict
    concepts: dict[str, Concept]

    @property
    def top(self) -> list[str]:
        return [key for key, concept in self.concepts.items() if not concept.broader]


def read(folder: Path) -> dict[str, Scheme]:
    """{scheme name: Scheme} of ontology/codes/, checked whole (every reference resolves)."""
    problems: list[str] = []
    described = tomllib.loads((folder / "schemes.toml").read_text(encoding="utf-8"))
    schemes = {name: Scheme(name, description, _concepts(folder / f"{name}.csv", name, problems))
               for name, description in sorted(described.items())}
    for scheme in schemes.values():
        _check_references(folder, scheme, schemes, problems)
    if problems:
        raise CodeListError(problems)
    return schemes


def _concepts(path: Path, scheme: str, problems: list[str]) -> dict[str, Concept]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            problems.append(f"{path}:1: columns {reader.fieldnames} (expected {', '.join(COLUMNS)})")
            return {}
        concepts = {}
        for line, row in enumerate(reader, start=2):
            if row["key"] in concepts:
                problems.append(f"{path}:{line}: key {row['key']!r} appears twice")
            concepts[row["key"]] = Concept(scheme, row["key"], _split(row["broader"]), row["label_ja"],
                                           row["label_en"], _matches(row["matches"], scheme, f"{path}:{line}",
                                                                     problems), row["note_en"])
        return concepts


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part for part in cell.split(";") if part)


def _matches(cell: str, scheme: str, where: str, problems: list[str]) -> tuple[tuple[str, str, str], ...]:
    found = []
    for part in _split(cell):
        kind, _, target = part.partition(":")
        if kind not in MATCHES or not target:
            problems.append(f"{where}: match {part!r} (expected kind:key, kind one of {', '.join(MATCHES)})")
            continue
        other, _, key = target.rpartition("/")
        found.append((kind, other or scheme, key))
    return tuple(found)


def _check_references(folder: Path, scheme: Scheme, schemes: dict[str, Scheme], problems: list[str]) -> None:
    path = folder / f"{scheme.name}.csv"
    for line, concept in enumerate(scheme.concepts.values(), start=2):
        for parent in concept.broader:
            if parent not in scheme.concepts:
                problems.append(f"{path}:{line}: broader {parent!r} is no key of {scheme.name}")
        for _, other, key in concept.matches:
            if other not in schemes or key not in schemes[other].concepts:
                problems.append(f"{path}:{line}: match target {other}/{key} is no concept of the code lists")


def check_key(schemes: dict[str, Scheme], scheme: str, key: str) -> str | None:
    """None when key names a concept of scheme, else what is wrong (for a table's `national`)."""
    if key in schemes[scheme].concepts:
        return None
    return f"{key!r} is no key of the national code list {scheme} (ontology/codes/{scheme}.csv)"
