"""The union dumps (all.trig, all.nq.gz): each dataset's share, and the files written graph by graph."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

from zaisei.publication.project import BuildError
from zaisei.rdf.render import render_quads
from zaisei.rdf.terms import quad

def union_parts(triples, graph: str) -> tuple[bytes, bytes, bytes]:
    """One graph's N-Quads, and its TriG split into prefix header and graph block."""
    quads = [quad(t, graph) for t in triples]
    trig = render_quads(quads, "trig")
    start = trig.find(b"<" + graph.encode("utf-8") + b"> {\n")
    if start < 0:
        raise BuildError([f"{graph}: no graph block in its TriG; cannot stream all.trig"], exit_code=2)
    return render_quads(quads, "nquads"), trig[:start], trig[start:]


def derived_union_parts(folder: Path, key: str, graph: str) -> tuple[bytes, bytes, bytes] | None:
    """One graph's share of the union, derived from the dataset's own dumps without rendering.

    pyoxigraph writes an N-Quads line as the N-Triples line with the graph
    before the final dot, and a TriG graph block as the Turtle statements
    indented by one tab after the same @prefix lines: the bytes union_parts
    renders (tests/test_benchmarks.py checks both ways). A long-string literal
    (triple quotes) may hold a raw newline the indentation would change; then
    this returns None and the caller renders.
    """
    turtle = (folder / f"{key}.ttl").read_bytes()
    if b'"' * 3 in turtle or b"'" * 3 in turtle:
        return None
    lines = turtle.splitlines(keepends=True)
    prefixes = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), len(lines))
    iri = graph.encode("utf-8")
    block = b"<" + iri + b"> {\n" + b"".join(b"\t" + line for line in lines[prefixes:] if line.strip()) + b"}\n"
    ntriples = gzip.decompress((folder / f"{key}.nt.gz").read_bytes())
    return ntriples.replace(b" .\n", b" <" + iri + b"> .\n"), b"".join(lines[:prefixes]), block


def graph_order(iri: str) -> str:
    # The order render_quads sorts graphs in (N-Triples form), so streamed
    # dumps are byte-identical to dumps rendered from all quads at once.
    return f"<{iri}>"


class Union:
    """all.trig and all.nq.gz, written one graph at a time in graph order.

    Their sha256 is taken as they are written: the catalog and SHA256SUMS
    need it, and at 10M triples reading the files back costs seconds.
    """

    def __init__(self, target: Path):
        self.trig = (target / "all.trig").open("wb")
        self.nquads = (target / "all.nq.gz").open("wb")
        self.digests = {"all.trig": hashlib.sha256(), "all.nq.gz": hashlib.sha256()}
        # gzip.compress(level 9, mtime=0) is zlib with wbits=31; streaming gives the same bytes.
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
        self.header: bytes | None = None

    def add(self, nquads: bytes, header: bytes, block: bytes) -> None:
        if self.header is None:
            self.header = header
            self._write_trig(header)
        elif header != self.header:
            raise BuildError(["TriG prefix headers differ between graphs; cannot stream all.trig"], exit_code=2)
        self._write_trig(block)
        self._write_nquads(self.deflate.compress(nquads))

    def _write_trig(self, data: bytes) -> None:
        self.trig.write(data)
        self.digests["all.trig"].update(data)

    def _write_nquads(self, data: bytes) -> None:
        self.nquads.write(data)
        self.digests["all.nq.gz"].update(data)

    def close(self) -> dict[str, str]:
        """Finish both files; their sha256 by file name."""
        self._write_nquads(self.deflate.flush())
        self.trig.close()
        self.nquads.close()
        return {name: digest.hexdigest() for name, digest in self.digests.items()}
