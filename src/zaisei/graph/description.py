"""What each dataset says, as values for the catalog's and VoID's templates (data/catalog.toml)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from zaisei import sources
from zaisei.graph.iris import mint

# Optional dataset.toml values: a missing one fills a template with "".
_OPTIONAL = frozenset({"source_note"})


class _Values(dict):
    def __missing__(self, key):
        if key in _OPTIONAL:
            return ""
        raise KeyError(key)


def fill(template: str, values: dict) -> str:
    """A catalog.toml template filled from dataset.toml values, spaces tidied."""
    return " ".join(string.Formatter().vformat(template, (), _Values(values)).split())


def pair(table: dict, name: str, values: dict | None = None) -> dict[str, str]:
    """{"ja": ..., "en": ...} from NAME_ja / NAME_en of a table; templates filled if values given."""
    pair = {lang: table[f"{name}_{lang}"] for lang in ("ja", "en") if f"{name}_{lang}" in table}
    return pair if values is None else {lang: fill(text, values) for lang, text in pair.items()}


def flatten(description: dict, top: str = "{}", skip: tuple[str, ...] = ()) -> dict[str, str]:
    """dataset.toml as flat values: sections as SECTION_NAME (publisher_name_ja), top-level scalars
    named by `top` (title_en, or dataset_title_en for the mappings); lists are left out."""
    flat = {}
    for name, value in description.items():
        if isinstance(value, dict):
            flat.update({f"{name}_{k}": str(v) for k, v in value.items() if not isinstance(v, (list, dict))})
        elif not isinstance(value, list) and name not in skip:
            flat[top.format(name)] = str(value)
    return flat


@dataclass
class Entry:
    """One built dataset and its description."""

    key: str
    result: object
    description: dict
    values: dict[str, str]
    iri: str


def dataset_entries(results, folders, base: str) -> list[Entry]:
    entries = []
    for result, folder in zip(results, folders):
        description = sources.load_description(Path(folder))
        values = flatten(description)
        values.update(used=str(result.reconcile.used), waived=str(result.reconcile.waived))
        entries.append(Entry(result.key, result, description, values, mint(base, "dataset", dataset=result.key)))
    return sorted(entries, key=lambda e: e.key)
