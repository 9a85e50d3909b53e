"""The engines compared: our endpoint, the bare engine, rdflib-endpoint, Oxigraph's server.

Each HTTP engine runs as its own process on a free loopback port, one at a
time, over the same build output; `start()` returns once it has answered a
first query, and records how long that took and the memory it then holds.

Our endpoint runs in three configurations (`CONFIGURATIONS`): the dumps loaded
in memory at start (no `--store`); `--store`, answering from the persisted store
at once while the engine's zygote loads an in-memory copy in the background;
`--store --sparql-on-disk`, staying on the persisted store.
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
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .measure import MemorySampler, children, terminate, wait_until_answers
from .queries import ready

ROOT = Path(__file__).resolve().parents[1]
# Our configurations, in the order they run: results are keyed by these names.
STORE, ON_DISK = "zaisei --store", "zaisei --store --sparql-on-disk"
CONFIGURATIONS = ("zaisei", STORE, ON_DISK)


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
    copy_of: Path | None = None  # persisted store folder whose in-memory copy start() waits for...
    copy_timeout: float = 900.0  # ...for at most this long
    startup: float | None = None
    memory: int = 0  # PSS once ready
    peak: int = 0  # largest PSS over every start of this server
    copy: dict = field(default_factory=dict)  # when the in-memory copy served, and the memory then

    def start(self, timeout: float) -> "Server":
        """Start, wait for the first answer; startup seconds and memory are recorded.

        With `copy_of`, also wait until the workers answer from the in-memory copy,
        so whatever is measured next sees that phase only, never a mix of both. It is
        watched from the launch on, in a thread: at small sizes the copy serves within
        the half second before memory is read, and its time must not round up to that."""
        sink = open(self.log, "wb") if self.log else subprocess.DEVNULL
        launched = time.perf_counter()
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
                                        env={**os.environ, **self.env})
        self.sampler = MemorySampler(self.process.pid)
        watch = self._watch_copy(launched) if self.copy_of is not None else None
        self.startup = wait_until_answers(self.url, ready(), self.process, timeout)
        time.sleep(0.5)  # let the worker pool settle before reading memory
        self.memory = self.sampler.now()
        if watch is not None:
            watch[0].join()
            self.copy = {**watch[1], "memory": self.sampler.now()}
        return self

    def _watch_copy(self, launched: float) -> tuple[threading.Thread, dict]:
        """A thread filling a dict with wait_for_copy's answer (it ends when the server does)."""
        found: dict = {}
        thread = threading.Thread(target=lambda: found.update(
            wait_for_copy(self.process, self.copy_of, launched, self.copy_timeout)), daemon=True)
        thread.start()
        return thread, found

    def stop(self) -> int:
        """Stop the server; returns its peak memory (PSS of the process tree)."""
        peak = self.sampler.stop() if self.sampler else 0
        self.peak = max(self.peak, peak)
        if self.process and self.process.poll() is None:
            terminate(self.process, 20)
        return peak


def ours(output: Path, work: Path, store: Path | None = None, in_memory: bool = True) -> Server:
    """`zaisei serve` exactly as a user starts it: without a store, or with one (in memory or on disk)."""
    port = free_port()
    # A long query timeout: the aggregates at 10M triples must be answered, not cut at 10 s.
    command = [sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output), "--port", str(port),
               "--query-timeout", "600"]
    name = "zaisei"
    if store is not None:
        command += ["--store", str(store), "--sparql-in-memory" if in_memory else "--sparql-on-disk"]
        name = STORE if in_memory else ON_DISK
    return Server(name, command, f"http://127.0.0.1:{port}/sparql",
                  log=work / (name.replace(" --", "-") + ".log"),
                  copy_of=store if store is not None and in_memory else None)


def make_store(output: Path, location: Path) -> dict:
    """Make our persisted store of the output once, as a user would; seconds and bytes on disk.

    Any store left by an earlier run is removed first: the build is deterministic, so
    its version would match and nothing would be made (or timed)."""
    shutil.rmtree(location, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "zaisei.cli", "query", "--output", str(output), "--store", str(location),
                    "ASK {}"], cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "disk": sum(p.stat().st_size for p in location.rglob("*") if p.is_file())}


# -- when the in-memory copy serves ------------------------------------------------
# The observable: the engine's workers are the children of its zygote (`python -m
# zaisei.serving.engine`, a child of the server). A worker on the persisted store holds its
# RocksDB files open from the moment it starts (read-only RocksDB opens every table
# file); a worker forked after the zygote loaded the in-memory copy holds none. So
# the copy serves once the zygote has workers and none holds a file of the store.
# At least two: the engine runs two or more, and loads the copy only once they all
# run, so a first worker caught between its fork and opening the store cannot pass.
# Unlike a latency threshold, this does not depend on the query or the machine's load,
# and a copy that failed to load (the zygote restarts on the persisted store) never
# passes it.

def _zygote(server: int) -> int | None:
    for child in children(server):
        try:
            if b"zaisei.serving.engine" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            pass
    return None


def _holds_files_under(pid: int, folder: Path) -> bool:
    prefix = str(folder.resolve()) + os.sep
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            if os.readlink(fd).startswith(prefix):
                return True
        except OSError:
            pass
    return False


def copy_serves(zygote: int, store: Path) -> bool:
    """True when the zygote has (at least two) workers and none answers from the persisted store."""
    workers = children(zygote)
    return len(workers) >= 2 and not any(_holds_files_under(w, store) for w in workers)


def wait_for_copy(process: subprocess.Popen, store: Path, launched: float, timeout: float,
                  interval: float = 0.05) -> dict:
    """Seconds from launch until the in-memory copy serves; {"failed": why} when it does not.

    It must be seen on two polls in a row, as a second guard against a worker caught
    between its fork and opening the store. The engine restarts its zygote
    (on the persisted store, for good) when the copy cannot be loaded: a new zygote
    means the copy failed, so the run does not wait out the timeout for nothing."""
    started, first, zygote = time.perf_counter(), None, _zygote(process.pid)
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            return {"failed": f"server exited with {process.returncode}"}
        now = _zygote(process.pid)
        if zygote is not None and now != zygote:
            return {"failed": "the engine restarted its zygote: the in-memory copy could not be loaded"}
        zygote = now
        if zygote is not None and copy_serves(zygote, store):
            if first is not None:
                return {"seconds": first - launched}
            first = time.perf_counter()
        else:
            first = None
        time.sleep(interval)
    return {"failed": f"the in-memory copy did not serve within {timeout:.0f} s"}


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
