"""The import contract of docs/architecture.md, read from the source: stages import only earlier
stages, each heavy library is wrapped in one place, only the CLI prints, format and namespace
knowledge lives in one module each."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from support.paths import ROOT

PACKAGE = ROOT / "src" / "zaisei"
# Each stage and what it may import from the project (besides itself, rdf and settings).
STAGES = {"rdf": set(), "sources": {"graph.iris"}, "graph": {"sources"}, "validation": {"graph"},
          "publication": {"sources", "graph", "validation"},
          "serving": {"sources", "graph", "validation", "publication"}}
# Third-party libraries and the only places that may import them.
WRAPPED = {"pyoxigraph": ("rdf/",), "rdflib": ("validation/",), "pyshacl": ("validation/",),
           "granian": ("serving/server.py",), "flask": ("serving/web/",), "werkzeug": ("serving/web/",),
           "jinja2": ("serving/web/", "publication/ontology_docs.py"), "click": ("cli.py",)}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def stage_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_stages_import_only_earlier_stages(path):
    stage = stage_of(path)
    if stage is None:
        return   # cli.py, settings.py: the thin layers over everything
    allowed = STAGES[stage] | {stage, "rdf"}
    for name in imports(path):
        if name.startswith("zaisei.") and name.split(".")[1] not in ("settings", "__version__"):
            target = name.split(".")[1]
            dotted = ".".join(name.split(".")[1:3])
            assert target in allowed or dotted in allowed, f"{path.name} ({stage}) imports {name}"


@pytest.mark.parametrize("library, places", WRAPPED.items())
def test_each_heavy_library_is_imported_in_one_place(library, places):
    users = [p.relative_to(PACKAGE).as_posix() for p in modules()
             if any(name == library or name.startswith(library + ".") for name in imports(p))]
    outside = [user for user in users if not user.startswith(places)]
    assert outside == [], f"{library} imported outside {places}: {outside}"


def test_only_the_cli_prints():
    printing = [p.relative_to(PACKAGE).as_posix() for p in modules()
                if p.name != "cli.py" and re.search(r"(?<![\w.])print\(", p.read_text(encoding="utf-8"))]
    assert printing == []


def test_a_media_type_is_written_in_the_format_registry_only():
    media = re.compile(r'"(text/(turtle|html|csv|plain)|application/(ld\+json|n-triples|rdf\+xml|json|xml|'
                       r'sparql-results\+\w+|trig|n-quads|gzip))')
    holders = [p.relative_to(PACKAGE).as_posix() for p in modules() if media.search(p.read_text(encoding="utf-8"))]
    assert holders == ["rdf/formats.py"]


def test_a_namespace_is_written_in_the_namespace_module_only():
    namespaces = re.compile(r"https?://(www\.w3\.org/(ns|19|20)|purl\.org|schema\.org/|w3id\.org/zaisei|"
                            r"data\.openbudgets\.eu|rdfs\.org|xmlns\.com|spdx\.org|publications\.europa\.eu)")
    holders = [p.relative_to(PACKAGE).as_posix() for p in modules()
               if namespaces.search(p.read_text(encoding="utf-8"))]
    assert holders == ["rdf/formats.py", "rdf/namespaces.py"]   # formats.py: the W3C format IRIs' namespace


def test_iri_paths_are_minted_by_the_iri_module_only():
    minting = re.compile(r'f"[^"]*/(id|doc|download|datasets|source)/\{')
    holders = [p.relative_to(PACKAGE).as_posix() for p in modules() if minting.search(p.read_text(encoding="utf-8"))]
    assert holders == []


def test_few_modules_sit_directly_in_the_package():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 10, top
