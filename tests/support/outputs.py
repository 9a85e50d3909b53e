"""Publications to serve: the real one built once, hand-made ones holding given graphs."""

from __future__ import annotations

import atexit
import functools
import gzip
import json
import shutil
import tempfile
from pathlib import Path

from support.paths import SHARED, need_shared

PROTOCOL = SHARED / "reference" / "w3c-sparql11-protocol" / "protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"


def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="zaisei-sparql-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def minato_output() -> Path:
    """sources/ built into a temporary output/ (once per process)."""
    from zaisei.publication.build import build
    from zaisei.publication.project import Project

    output = _scratch() / "output"
    build(Project(output=output))
    return output


def tiny_output(graphs: dict[str, str], base: str = "http://www.example") -> Path:
    """A publication whose named graphs (IRI -> N-Triples text) are exactly the given data."""
    output = _scratch() / "output"
    output.mkdir()
    lines = []
    for graph, ntriples in graphs.items():
        lines += [line.rstrip(" .") + f" <{graph}> .\n" for line in ntriples.splitlines() if line.strip()]
    (output / "all.nq.gz").write_bytes(gzip.compress("".join(lines).encode("utf-8"), mtime=0))
    datasets = {f"graph-{n}": {"graph": g, "triples": len(t.splitlines())} for n, (g, t) in enumerate(graphs.items())}
    (output / "build.json").write_text(json.dumps({"base": base, "datasets": datasets}), encoding="utf-8")
    return output


@functools.cache
def protocol_output() -> Path:
    """The W3C protocol tests' data: data1.nt .. data3.nt in graphs named like the tests say."""
    need_shared(PROTOCOL)
    return tiny_output({f"{KASEI}data{n}.rdf": (PROTOCOL / f"data{n}.nt").read_text() for n in (1, 2, 3)})
