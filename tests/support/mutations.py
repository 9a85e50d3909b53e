"""Damaged copies of source folders: the golden cases of tests/fixtures/bad-sources/, and one-digit mutations."""

from __future__ import annotations

import csv
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from support.paths import FIXTURES, SOURCES

BAD_SOURCES = FIXTURES / "bad-sources"


@dataclass(frozen=True)
class Case:
    """One folder of tests/fixtures/bad-sources/: a base dataset, the edits that break it, what must be said."""

    name: str
    base: str
    exit: int
    expect: tuple[str, ...]
    edits: tuple[dict, ...]
    delete: tuple[str, ...]
    rename: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, folder: Path) -> "Case":
        spec = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
        return cls(folder.name, spec["base"], spec["exit"], tuple(spec["expect"]), tuple(spec.get("edit", [])),
                   tuple(spec.get("delete", [])), tuple(spec.get("rename", {}).items()))

    def make(self, root: Path) -> Path:
        """The damaged copy, as root/<base>/ (the folder name is the dataset key)."""
        target = root / self.base
        shutil.copytree(SOURCES / self.base, target)
        for edit in self.edits:
            path = target / edit["file"]
            text = path.read_text(encoding="utf-8")
            assert text.count(edit["find"]) == 1, f"{self.name}: {edit['find']!r} is not once in {edit['file']}"
            path.write_text(text.replace(edit["find"], edit["replace"]), encoding="utf-8")
        for name in self.delete:
            (target / name).unlink()
        for old, new in self.rename:
            (target / old).rename(target / new)
        return target


def cases() -> list[Case]:
    return [Case.read(folder) for folder in sorted(BAD_SOURCES.iterdir()) if (folder / "case.toml").exists()]


@dataclass(frozen=True)
class Mutation:
    """One digit of one printed figure changed: file, line (as the loader counts), column, before, after."""

    file: str
    line: int
    column: str
    before: str
    after: str

    def apply(self, folder: Path) -> str:
        """Write the mutation into folder; returns the file's original text to restore it."""
        path = folder / self.file
        original = path.read_text(encoding="utf-8")
        rows = list(csv.reader(original.splitlines(keepends=True)))
        header, row = rows[0], rows[self.line - 1]
        assert row[header.index(self.column)] == self.before
        row[header.index(self.column)] = self.after
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out, lineterminator="\n").writerows(rows)
        return original


def _changed(text: str, position: int) -> str:
    digit = text[position]
    return text[:position] + str((int(digit) + 1) % 10) + text[position + 1:]


def digit_mutations(folder: Path) -> list[Mutation]:
    """For every printed figure of a cited folder, its first and its last digit changed by one."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as source:
            rows = list(csv.reader(source))
        for line, row in enumerate(rows[1:], start=2):
            for column, cell in zip(rows[0], row):
                digits = [m.start() for m in re.finditer(r"\d", cell)] if column.endswith("_printed") else []
                for position in sorted({digits[0], digits[-1]} if digits else ()):
                    found.append(Mutation(path.name, line, column, cell, _changed(cell, position)))
    return found
