"""`python -m benchmarks run`: generate, build, serve, query; one table from one run.

For each size: generate the sources, build them from scratch with `zaisei
build` (timed, peak memory, triples/s per stage), build again unchanged
(the incremental path), measure the store options for start-up, then start
each engine in turn over the same output and send it the same queries: our
endpoint in its three configurations (no store; `--store` with the in-memory
copy; `--store --sparql-on-disk`), Oxigraph's server, rdflib-endpoint.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import engines, storage
from .generate import SIZES, generate
from .measure import Client, Latencies, MemorySampler, repeat, wrk
from .queries import mix, small

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("reconcile", "mapping", "validation", "serialisation")


@dataclass
class Options:
    work: Path
    runs: int = 30  # latency samples per query and engine...
    budget: float = 10.0  # ...or as many as fit in this many seconds (at least 3)
    wrk_seconds: int = 10
    rdflib_limit: int = 2_000_000  # triples above which rdflib-endpoint is not started (hours to load)
    peers: Path | None = None  # virtualenv holding rdflib-endpoint (and oxigraph if not on PATH)
    startup_timeout: float = 3600.0
    copy_timeout: float = 1800.0  # for `zaisei serve --store`'s in-memory copy to serve
    request_timeout: float = 120.0  # an answer slower than this is reported as missing


def timed_build(sources: Path, output: Path, log: Path) -> dict:
    """`zaisei build --json` as a user runs it: wall time, peak memory, the summary."""
    started, load, cpu = time.perf_counter(), os.getloadavg()[0], _children_cpu()
    process = subprocess.Popen([sys.executable, "-m", "zaisei.cli", "build", "--sources", str(sources),
                                "--output", str(output), "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=open(log, "wb"), text=True)
    sampler = MemorySampler(process.pid, interval=0.5)
    stdout, _ = process.communicate()
    peak, wall, cpu = sampler.stop(), time.perf_counter() - started, _children_cpu() - cpu
    if process.returncode != 0:
        raise RuntimeError(f"build failed ({process.returncode}); see {log}")
    summary = json.loads(stdout)
    datasets = summary["datasets"].values()
    stages = {stage: sum(d["seconds"].get(stage, 0.0) for d in datasets) for stage in STAGES + ("reuse",)}
    return {"wall": wall, "cpu": cpu, "load": load, "peak": peak, "triples": sum(d["triples"] for d in datasets),
            "datasets": len(summary["datasets"]), "reused": sum(d.get("reused", False) for d in datasets),
            "stages": stages, "top": summary["seconds"]}


def _children_cpu() -> float:
    """CPU seconds of every waited-for child (the build and its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _latencies(server: engines.Server, queries: list, options: Options) -> dict:
    """The mix, one query after another; a server left busy by a timed-out query is restarted."""
    found = {}
    for query in queries:
        client = Client(server.url, timeout=options.request_timeout)
        try:
            found[query.name] = repeat(lambda: client.get(query.text, query.accept), options.runs,
                                       options.budget).__dict__
        finally:
            client.close()
        if "timed out" in found[query.name]["failed"]:
            found[query.name]["failed"] = f"no answer within {options.request_timeout:.0f} s"
            server.stop()
            server.start(options.startup_timeout)
    return found


def serve(server: engines.Server, queries: list, throughput_query, options: Options) -> dict:
    """Start one engine, time the mix, load it with wrk, stop it."""
    try:
        server.start(options.startup_timeout)
    except (RuntimeError, TimeoutError) as exc:
        server.stop()
        return {"failed": str(exc)}
    found = {"startup": server.startup, "memory": server.memory, "load": os.getloadavg()[0]}
    if server.copy_of is not None:
        # start() returned once the in-memory copy served (or failed to): the mix below
        # measures that phase alone, never the persisted store's first seconds.
        found["copy"] = dict(server.copy)
    try:
        found["latencies"] = _latencies(server, queries, options)
        # The memory after start misses what queries and (with --store) the in-memory copy add.
        found["memory_after_mix"] = server.sampler.now()
        found["throughput"] = {c: wrk(server.url, throughput_query.text, c, options.wrk_seconds) for c in (16, 64)}
    finally:
        found["peak"] = max(server.stop(), server.peak)
    return found


def run_size(size: str, options: Options, log=print) -> dict:
    """Everything for one size, on one generated data set."""
    towns, years = SIZES[size]
    folder = options.work / size
    sources, output = folder / "sources", folder / "output"
    folder.mkdir(parents=True, exist_ok=True)
    log(f"[{size}] generating {towns} municipalities x {years} years")
    generate(sources, towns, years)
    shutil.rmtree(output, ignore_errors=True)
    log(f"[{size}] building from scratch")
    result = {"size": size, "municipalities": towns, "years": years,
              "build": timed_build(sources, output, folder / "build.log")}
    log(f"[{size}] {result['build']['triples']} triples in {result['build']['wall']:.1f} s; rebuilding unchanged")
    result["rebuild"] = timed_build(sources, output, folder / "rebuild.log")
    queries = mix(years)
    log(f"[{size}] store options")
    location = folder / "persisted-store"
    result["storage"] = {mode: storage.measure(mode, output, location, queries)
                         for mode in ("memory", "persist", "open")}
    shutil.rmtree(location, ignore_errors=True)
    log(f"[{size}] bare engine")
    result["bare"] = engines.bare(output, queries, options.runs, options.budget)
    result["engines"] = {}
    for name, server, skipped in _servers(output, folder, result, options):
        log(f"[{size}] {name}" + (f": {skipped}" if skipped else ""))
        result["engines"][name] = {"failed": skipped} if skipped else serve(server, queries, small(years), options)
        if "copy" in result["engines"][name]:
            copy = result["engines"][name]["copy"]
            log(f"[{size}] {name}: in-memory copy " + (f"served {copy['seconds']:.1f} s after launch"
                                                        if "seconds" in copy else copy.get("failed", "?")))
    return result


def _servers(output: Path, folder: Path, result: dict, options: Options):
    """(name, Server, why skipped) in the order they run."""
    yield "zaisei", engines.ours(output, folder), ""
    # Made once, in the size's work folder (never in output/, which is committed and
    # reproducible), before the start-ups that open it: as `zaisei build --store` would.
    location = folder / "zaisei-store"
    try:
        result["zaisei_store"] = engines.make_store(output, location)
    except subprocess.CalledProcessError as exc:
        why = f"making the persisted store failed: {(exc.stderr or b'').decode('utf-8', 'replace')[-300:]}"
        result["zaisei_store"] = {"failed": why}
        yield engines.STORE, None, why
        yield engines.ON_DISK, None, why
    else:
        copy = engines.ours(output, folder, location, in_memory=True)
        copy.copy_timeout = options.copy_timeout
        yield engines.STORE, copy, ""
        yield engines.ON_DISK, engines.ours(output, folder, location, in_memory=False), ""
    venv = options.peers
    location, seconds = engines.oxigraph_load(output, folder, venv)
    result["oxigraph_load"] = seconds
    yield "oxigraph", engines.oxigraph(location, folder, venv), ""
    if venv is None or not (venv / "bin" / "rdflib-endpoint").exists():
        yield "rdflib-endpoint", None, "rdflib-endpoint not installed (python -m benchmarks setup)"
    elif result["build"]["triples"] > options.rdflib_limit:
        yield "rdflib-endpoint", None, f"not run above {options.rdflib_limit:,} triples (loading takes hours)"
    else:
        yield "rdflib-endpoint", engines.rdflib_endpoint(output, folder, venv), ""


def run(sizes: list[str], options: Options, log=print) -> list[dict]:
    """Every size in turn; results are also saved as JSON in the work folder."""
    options.work.mkdir(parents=True, exist_ok=True)
    results = []
    for size in sizes:
        results.append(run_size(size, options, log))
        (options.work / "results.json").write_text(json.dumps(results, indent=1, default=_plain), encoding="utf-8")
    return results


def _plain(value):
    if isinstance(value, Latencies):
        return value.__dict__
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value))
