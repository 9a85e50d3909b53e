"""How the server should get its store: bulk-load the N-Quads dump, or open a persisted store.

Each mode runs in a fresh child process (`python -m benchmarks storage MODE`),
so its start-up time and memory are its own: time to a first answer, PSS
after the aggregate queries ran, and the aggregates' latency on that store.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .measure import pss_bytes, repeat

ROOT = Path(__file__).resolve().parents[1]


def _open(mode: str, output: Path, location: Path):
    import pyoxigraph as ox

    if mode == "memory":  # what Publication does today
        store = ox.Store()
        store.bulk_load(input=gzip.decompress((output / "all.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    elif mode == "persist":  # the one-off cost of creating the store next to the dumps
        shutil.rmtree(location, ignore_errors=True)
        store = ox.Store(str(location))
        store.bulk_load(input=gzip.decompress((output / "all.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
        store.optimize()
    else:  # "open": every later start
        store = ox.Store.read_only(str(location))
    return store


def child(payload: dict) -> dict:
    """In the child process: open the store one way, answer a first query, time the aggregates."""
    import os

    started = time.perf_counter()
    store = _open(payload["mode"], Path(payload["output"]), Path(payload["location"]))
    bool(store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True))
    ready = time.perf_counter() - started
    timings = {}
    for name, text in payload["queries"]:
        found = repeat(lambda: list(store.query(text, use_default_graph_as_union=True)), payload["runs"],
                       payload["budget"])
        timings[name] = found.seconds
    return {"ready": ready, "pss": pss_bytes(os.getpid()), "latencies": timings}


def measure(mode: str, output: Path, location: Path, queries: list, runs: int = 10, budget: float = 20) -> dict:
    """One storage mode, measured in a fresh process."""
    payload = {"mode": mode, "output": str(output), "location": str(location), "runs": runs, "budget": budget,
               "queries": [[q.name, q.text] for q in queries if q.kind == "aggregate"]}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "storage"], input=json.dumps(payload), text=True,
                          capture_output=True, cwd=ROOT, check=True)
    result = json.loads(done.stdout)
    if mode == "persist":
        result["disk"] = sum(p.stat().st_size for p in location.rglob("*") if p.is_file())
    return result
