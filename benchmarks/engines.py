"""The engines compared: our endpoint, the bare engine, rdflib-endpoint, Oxigraph's server.

Each HTTP engine runs as its own process on a free loopback port, one at a
time, over the same build output; `start()` returns once it has answered a
first query, and records how long that took and the memory it then holds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .measure import MemorySampler, wait_until_answers
from .queries import ready

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def binary(name: str, venv: Path | None = None) -> str:
    """A command from PATH, else from the benchmarks' own virtualenv."""
    found = shutil.which(name) or (str(venv / "bin" / name) if venv and (venv / "bin" / name).exists() else None)
    if found is None:
        raise FileNotFoundError(f"{name} not found; run `python -m benchmarks setup`")
    return found


def plain_nquads(output: Path, work: Path) -> Path:
    """all.nq.gz decompressed once, for the engines that cannot read gzip."""
    target = work / "all.nq"
    dump = output / "all.nq.gz"
    if not target.exists() or target.stat().st_mtime < dump.stat().st_mtime:
        with gzip.open(dump, "rb") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    return target


@dataclass
class Server:
    """A server process; `url` is its SPARQL endpoint."""

    name: str
    command: list[str]
    url: str
    env: dict = field(default_factory=dict)
    log: Path | None = None
    process: subprocess.Popen | None = None
    sampler: MemorySampler | None = None
    startup: float | None = None
    memory: int = 0  # PSS once ready
    peak: int = 0  # largest PSS over every start of this server

    def start(self, timeout: float) -> "Server":
        """Start, wait for the first answer; startup seconds and memory are recorded."""
        sink = open(self.log, "wb") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
                                        env={**os.environ, **self.env})
        self.sampler = MemorySampler(self.process.pid)
        self.startup = wait_until_answers(self.url, ready(), self.process, timeout)
        time.sleep(0.5)  # let the worker pool settle before reading memory
        self.memory = self.sampler.now()
        return self

    def stop(self) -> int:
        """Stop the server; returns its peak memory (PSS of the process tree)."""
        peak = self.sampler.stop() if self.sampler else 0
        self.peak = max(self.peak, peak)
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return peak


def ours(output: Path, work: Path) -> Server:
    """`zaisei serve` exactly as a user starts it."""
    port = free_port()
    # A long query timeout: the aggregates at 10M triples must be answered, not cut at 10 s.
    return Server("zaisei", [sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output),
                             "--port", str(port), "--query-timeout", "600"],
                  f"http://127.0.0.1:{port}/sparql", log=work / "zaisei.log")


def oxigraph_load(output: Path, work: Path, venv: Path | None = None) -> tuple[Path, float]:
    """Bulk-load the union into an Oxigraph store folder (once per build); seconds taken."""
    location = work / "oxigraph-store"
    stamp = location / ".loaded-from"
    source = hashlib.sha256((output / "SHA256SUMS").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == source:
        return location, 0.0
    shutil.rmtree(location, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([binary("oxigraph", venv), "load", "--location", str(location), "--file",
                    str(plain_nquads(output, work))], check=True, capture_output=True)
    stamp.write_text(source)
    return location, time.perf_counter() - started


def oxigraph(location: Path, work: Path, venv: Path | None = None) -> Server:
    """Oxigraph's own Rust server, read-only, querying the union of the graphs by default."""
    port = free_port()
    return Server("oxigraph", [binary("oxigraph", venv), "serve-read-only", "--location", str(location),
                               "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                  f"http://127.0.0.1:{port}/query", log=work / "oxigraph.log")


def rdflib_endpoint(output: Path, work: Path, venv: Path) -> Server:
    """rdflib-endpoint's own CLI (`rdflib-endpoint serve all.nq`), from its own virtualenv."""
    port = free_port()
    return Server("rdflib-endpoint", [str(venv / "bin" / "rdflib-endpoint"), "serve", str(plain_nquads(output, work)),
                                      "--host", "127.0.0.1", "--port", str(port)],
                  f"http://127.0.0.1:{port}/", log=work / "rdflib-endpoint.log")


def bare(output: Path, queries: list, runs: int, budget: float) -> dict:
    """The bare pyoxigraph engine in a child process: load as the server does, time the queries."""
    payload = json.dumps({"output": str(output), "runs": runs, "budget": budget,
                          "queries": [[q.name, q.text, q.accept] for q in queries]})
    done = subprocess.run([sys.executable, "-m", "benchmarks", "engine"], input=payload, text=True,
                          capture_output=True, cwd=ROOT, check=True)
    return json.loads(done.stdout)


def run_bare(payload: dict) -> dict:
    """In the child: load all.nq.gz into memory (as the server does), answer and serialise each query."""
    import pyoxigraph as ox

    from .measure import repeat

    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(input=gzip.decompress((Path(payload["output"]) / "all.nq.gz").read_bytes()),
                    format=ox.RdfFormat.N_QUADS)
    loaded = time.perf_counter() - started

    def answer(text: str, accept: str):
        result = store.query(text, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            return result.serialize(format=ox.QueryResultsFormat.JSON)
        return ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)

    found = {}
    for name, text, accept in payload["queries"]:
        latencies = repeat(lambda: answer(text, accept), payload["runs"], payload["budget"])
        found[name] = {"seconds": latencies.seconds, "failed": latencies.failed}
    return {"load": loaded, "latencies": found}
