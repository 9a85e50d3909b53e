"""The front beside Oxigraph's own server (issue 18): `python -m benchmarks front --output DIR ...`.

For each publication given, on loopback, one run, interleaved (every figure is taken
engine after engine, round after round, so a slower moment of the machine falls on all):
- `zaisei serve` (answer cache off: distinct queries, which no cache helps), with one and
  with two front processes, and `oxigraph serve-read-only --union-default-graph` on the
  same data;
- distinct small queries, one client (`SELECT ?p ?o WHERE { <iri> ?p ?o }`, a different
  subject each request): p50 and p99;
- throughput with wrk at 16 and 64 connections over 2,000 rotating distinct queries;
- aggregates: p50 of each;
- memory: PSS of every process of the server, per million triples;
- fairness: benchmarks/security.py's second client while one client keeps 1x, 2x and 4x as
  many runaway queries running as there are workers;
- the answer cache, on its own: a repeated query, a 304 revalidation, wrk over 50 queries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from . import security
from .engines import Server, free_port, oxigraph, oxigraph_load
from .measure import Client, percentile, pss_bytes, tree
from .queries import mix

SOLUTIONS = "application/sparql-results+json"
LOOKUP = "SELECT ?p ?o WHERE {{ <{}> ?p ?o }}"
SUBJECTS = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } LIMIT 2000"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ROTATE = """local paths, counter = {}, 0
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], {["Accept"] = "application/sparql-results+json"})
end
"""


def zaisei(output: Path, work: Path, name: str, *extra: str) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output), "--port", str(port),
               "--query-timeout", "600", *extra]
    return Server(name, command, f"http://127.0.0.1:{port}/sparql", log=work / f"{name.replace(' ', '_')}.log")


def _select(url: str, query: str) -> list[dict]:
    client = Client(url)
    try:
        return json.loads(client.get(query, SOLUTIONS))["results"]["bindings"]
    finally:
        client.close()


def one_client(servers: list[Server], subjects: list[str], rounds: int = 8, batch: int = 100) -> dict:
    """p50/p99 (ms) of distinct look-ups, one keep-alive client, engines interleaved by batch."""
    times = {s.name: [] for s in servers}
    clients = {s.name: Client(s.url) for s in servers}
    for number in range(rounds):
        chosen = subjects[number * batch % len(subjects):][:batch]
        for server in servers[number % len(servers):] + servers[:number % len(servers)]:
            for subject in chosen:
                started = time.perf_counter()
                clients[server.name].get(LOOKUP.format(subject), SOLUTIONS)
                times[server.name].append(time.perf_counter() - started)
    for client in clients.values():
        client.close()
    return {name: {"p50_ms": round(percentile(t, 50) * 1000, 3), "p99_ms": round(percentile(t, 99) * 1000, 3)}
            for name, t in times.items()}


def throughput(servers: list[Server], subjects: list[str], work: Path, seconds: int) -> dict:
    """wrk requests/s at 16 and 64 connections over rotating distinct look-ups."""
    found = {s.name: {} for s in servers}
    if shutil.which("wrk") is None:
        return {"failed": "wrk not installed (apt-get install wrk)"}
    script = work / "rotate.lua"
    script.write_text(ROTATE, encoding="utf-8")
    for connections in (16, 64):
        for server in servers:
            parts = urllib.parse.urlsplit(server.url)
            paths = work / f"paths-{parts.port}.txt"
            paths.write_text("".join(parts.path + "?" + urllib.parse.urlencode({"query": LOOKUP.format(s)}) + "\n"
                                     for s in subjects), encoding="utf-8")
            done = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s",
                                   str(script), f"{parts.scheme}://{parts.netloc}"], capture_output=True, text=True,
                                  env={**os.environ, "WRK_PATHS": str(paths)}, timeout=seconds + 60)
            found[server.name][connections] = _wrk_figures(done.stdout)
    return found


def _wrk_figures(text: str) -> dict:
    rate = next((line.split()[1] for line in text.splitlines() if line.startswith("Requests/sec:")), None)
    errors = next((line.split()[-1] for line in text.splitlines() if "Non-2xx" in line), "0")
    return {"rps": float(rate) if rate else None, "non_2xx": int(errors)}


def aggregates(servers: list[Server], rounds: int = 5) -> dict:
    """p50 (ms) of each aggregate of the benchmarks' mix, engines interleaved."""
    found = {}
    for query in [q for q in mix(10) if q.kind == "aggregate"]:
        times = {s.name: [] for s in servers}
        for _ in range(rounds):
            for server in servers:
                client = Client(server.url)
                started = time.perf_counter()
                client.get(query.text, query.accept)
                times[server.name].append(time.perf_counter() - started)
                client.close()
        found[query.name] = {name: round(percentile(t, 50) * 1000, 1) for name, t in times.items()}
    return found


def memory(servers: list[Server], triples: int) -> dict:
    """GB of PSS (every process of the server) per million triples, after the runs above."""
    return {s.name: round(sum(pss_bytes(pid) for pid in tree(s.process.pid)) / 1e9 / (triples / 1e6), 3)
            for s in servers}


def remote_fronts(output: Path, work: Path, subjects: list[str], seconds: int) -> dict:
    """wrk over rotating look-ups through 1 and 2 front processes in remote mode, over one engine
    (Oxigraph's server, read-write so that `zaisei publish` can load it)."""
    location = work / "remote-engine"
    engine = Server("engine", [shutil.which("oxigraph"), "serve", "--location", str(location), "--bind",
                               f"127.0.0.1:{free_port()}"], "", log=work / "engine.log")
    engine.url = "http://" + engine.command[-1] + "/query"
    engine.start(120)
    found = {}
    try:
        subprocess.run([sys.executable, "-m", "zaisei.cli", "publish", "--graph-store",
                        engine.url.replace("/query", "/store"), "--output", str(output)], check=True,
                       capture_output=True)
        for fronts in (1, 2):
            name = f"{fronts} front process" + ("es" if fronts > 1 else "")
            front = zaisei(output, work, name, "--answer-cache-mb", "0", "--sparql-endpoint", engine.url,
                           "--front-processes", str(fronts)).start(300)
            try:
                found[name] = throughput([front], subjects, work, seconds)[name]
            finally:
                front.stop()
    finally:
        engine.stop()
    return found


def answer_cache(output: Path, work: Path, subjects: list[str], seconds: int) -> dict:
    """`zaisei serve` with its answer cache: a hit, a 304, and wrk over 50 repeated queries."""
    server = zaisei(output, work, "zaisei cached", "--answer-cache-mb", "64").start(600)
    try:
        query, client = LOOKUP.format(subjects[0]), Client(server.url)
        hits, revalidations = [], []
        for _ in range(500):
            started = time.perf_counter()
            client.get(query, SOLUTIONS)
            hits.append(time.perf_counter() - started)
        etag = _etag(server.url, query)
        for _ in range(500):
            started = time.perf_counter()
            status = _conditional(client, query, etag)
            revalidations.append(time.perf_counter() - started)
        client.close()
        repeated = throughput([server], subjects[:50], work, seconds)[server.name]
    finally:
        server.stop()
    return {"hit_p50_ms": round(percentile(hits, 50) * 1000, 3), "not_modified_p50_ms":
            round(percentile(revalidations, 50) * 1000, 3), "not_modified_status": status,
            "rps_50_queries": {c: f["rps"] for c, f in repeated.items()}}


def _etag(url: str, query: str) -> str:
    import urllib.request

    request = urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": query}), headers={"Accept": SOLUTIONS})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.headers["ETag"]


def _conditional(client: Client, query: str, etag: str) -> int:
    target = client.path + "?" + urllib.parse.urlencode({"query": query})
    client.connection.request("GET", target, headers={"Accept": SOLUTIONS, "If-None-Match": etag})
    response = client.connection.getresponse()
    response.read()
    return response.status


def fairness(output: Path) -> list[dict]:
    """benchmarks/security.py's fairness figures (2 workers, 5 s timeout), 1x, 2x and 4x runaway."""
    manifest = json.loads((output / "build.json").read_text(encoding="utf-8"))
    iri = next(iter(manifest["datasets"].values()))["graph"] + "/budget"
    process, port = security._serve(output)
    try:
        security._get(port, security._sparql("ASK {}"))
        return [security.fairness(port, factor * security.WORKERS, iri) for factor in (1, 2, 4)]
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(output: Path, seconds: int = 8, log=lambda message: None) -> dict:
    """Every figure for one publication."""
    work = Path(tempfile.mkdtemp(prefix="zaisei-front-"))
    location, _ = oxigraph_load(output, work)
    servers = [zaisei(output, work, "zaisei", "--answer-cache-mb", "0"),
               zaisei(output, work, "zaisei 2 fronts", "--answer-cache-mb", "0", "--front-processes", "2"),
               oxigraph(location, work)]
    try:
        for server in servers:
            server.start(900)
        log(f"{output}: servers up")
        oxigraph_url = servers[-1].url
        subjects = [row["s"]["value"] for row in _select(oxigraph_url, SUBJECTS)]
        triples = int(_select(oxigraph_url, COUNT)[0]["n"]["value"])
        figures = {"output": str(output), "triples": triples, "subjects": len(subjects),
                   "one_client": one_client(servers, subjects)}
        log(f"{output}: one client done")
        figures["throughput"] = throughput(servers, subjects, work, seconds)
        log(f"{output}: throughput done")
        figures["aggregates"] = aggregates(servers)
        figures["memory_gb_per_million"] = memory(servers, triples)
    finally:
        for server in servers:
            server.stop()
    figures["answer_cache"] = answer_cache(output, work, subjects, seconds)
    log(f"{output}: answer cache done")
    figures["remote_fronts"] = remote_fronts(output, work, subjects, seconds)
    log(f"{output}: store and remote fronts done")
    figures["fairness"] = fairness(output)
    shutil.rmtree(work, ignore_errors=True)
    return figures
