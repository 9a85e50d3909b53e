"""build.json (what was built, from which inputs) and SHA256SUMS (every file's checksum): written
by the build, read back by the next build (reuse) and by the server (serving/integrity.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from zaisei.graph.iris import mint
from zaisei.publication.project import Project

SUMS = "SHA256SUMS"
MANIFEST = "build.json"


def parse_sums(text: str) -> dict[str, str]:
    """{relative path: SHA-256} from the text of a SHA256SUMS file (sha256sum's format)."""
    return {name: digest for digest, _, name in (line.partition("  ") for line in text.splitlines()) if name}


def format_sums(files: dict[str, str]) -> str:
    """SHA256SUMS's text for {relative path: SHA-256}, in the given order."""
    return "".join(f"{digest}  {name}\n" for name, digest in files.items())


def _manifest_entry(result, project: Project, modified: str | None) -> dict:
    entry = {"graph": mint(project.base, "dataset", dataset=result.key), "triples": len(result.triples)}
    if result.inputs:
        entry["inputs"] = result.inputs  # what the next build compares to reuse the files
    if modified:
        entry["modified"] = modified     # the dataset's own date: what the server's Last-Modified says
    return entry


def write_manifest(results: list, target: Path, project: Project, modified: dict[str, str] | None = None) -> None:
    """build.json: the base, and each dataset's graph, triples, inputs and date (modified: key -> date)."""
    modified = modified or {}
    datasets = {r.key: _manifest_entry(r, project, modified.get(r.key)) for r in results}
    manifest = {"base": project.base, "datasets": datasets}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def previous_manifest(project: Project) -> dict:
    """The datasets recorded by the previous build, or {} if there is none readable."""
    try:
        manifest = json.loads((project.output / MANIFEST).read_text(encoding="utf-8"))
        return manifest["datasets"] if manifest.get("base") == project.base else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def previous_sums(project: Project) -> dict[str, dict[str, str]]:
    """The previous output's SHA256SUMS, grouped by dataset folder."""
    grouped: dict[str, dict[str, str]] = {}
    try:
        sums = parse_sums((project.output / SUMS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return grouped
    for name, digest in sums.items():
        folder, _, rest = name.partition("/")
        if rest:
            grouped.setdefault(folder, {})[rest] = digest
    return grouped


def checksums(target: Path, known: dict[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file under target, in path order; `known` sums are not recomputed."""
    known = known or {}
    sums = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        name = path.relative_to(target).as_posix()
        sums[name] = known.get(name) or hashlib.sha256(path.read_bytes()).hexdigest()
    return sums
