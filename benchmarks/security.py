"""Figures under attack (issues 13 and 18): `python -m benchmarks security [--output OUTPUT]`.

Against `zaisei serve` on loopback (the committed output by default), prints one table:
- a new client's page load while 8 slow readers pipeline 80 downloads each and 98 idle
  connections stay open (target: under 3 s);
- a second client's small queries (an aggregate, so a worker runs it; and a one-pattern
  look-up, answered in the server process) while one client keeps 1x, 2x and 4x as many
  runaway queries running as there are workers (targets: p99 under 1 s, and 50 ms for the
  look-up).
The tests check the behaviour (tests/test_security_*.py); this measures how fast.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .measure import percentile

ROOT = Path(__file__).resolve().parents[1]
WORKERS, TIMEOUT = 2, 5.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
AGGREGATE = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/zaisei/def/Account> }"
LOOKUP = "SELECT ?p ?o WHERE { <{iri}> ?p ?o }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(output: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output), "--port",
                                str(port), "--query-timeout", str(TIMEOUT), "--sparql-workers", str(WORKERS)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("zaisei serve did not start")


def _get(port: int, path: str, source: str = "127.0.0.1") -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    connection.request("GET", path, headers={"Accept": "text/html"} if not path.startswith("/sparql") else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def _sparql(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def slow_clients(port: int) -> dict:
    readers = []
    for _ in range(8):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /download/all.trig HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 80)
        readers.append(sock)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(98)]
    time.sleep(1)
    seconds = [_get(port, "/")[1] for _ in range(20)]
    for sock in readers + idle:
        sock.close()
    return {"page_p50_s": round(percentile(seconds, 50), 3), "page_max_s": round(max(seconds), 3)}


def fairness(port: int, runaway: int, iri: str) -> dict:
    stop, threads = threading.Event(), []

    def attack() -> None:
        while not stop.is_set():
            status, _ = _get(port, _sparql(RUNAWAY), "127.0.0.2")
            if status == 429:
                time.sleep(0.05)

    for _ in range(runaway):
        threads.append(threading.Thread(target=attack, daemon=True))
        threads[-1].start()
    time.sleep(0.5)
    aggregates, lookups, ended = [], [], time.monotonic() + 2 * TIMEOUT
    while time.monotonic() < ended:
        aggregates.append(_get(port, _sparql(AGGREGATE))[1])
        lookups.append(_get(port, _sparql(LOOKUP.replace("{iri}", iri)))[1])
    stop.set()
    for thread in threads:
        thread.join(timeout=3 * TIMEOUT)
    ms = lambda values, q: round(percentile(values, q) * 1000, 1)   # noqa: E731
    return {"runaway": runaway, "aggregate_p50_ms": ms(aggregates, 50), "aggregate_p99_ms": ms(aggregates, 99),
            "lookup_p50_ms": ms(lookups, 50), "lookup_p99_ms": ms(lookups, 99)}


def run(output: Path) -> dict:
    manifest = json.loads((output / "build.json").read_text(encoding="utf-8"))
    iri = next(iter(manifest["datasets"].values()))["graph"] + "/budget"
    process, port = _serve(output)
    try:
        _get(port, _sparql("ASK {}"))
        figures = {"slow_clients": slow_clients(port),
                   "fairness": [fairness(port, factor * WORKERS, iri) for factor in (1, 2, 4)]}
    finally:
        process.terminate()
        process.wait(timeout=20)
    return figures


def markdown(figures: dict) -> str:
    slow = figures["slow_clients"]
    met = lambda ok: "met" if ok else "**missed**"   # noqa: E731
    lines = ["| scenario | figure | target | |", "|---|---|---|---|",
             f"| page, 8 slow readers + 98 idle connections | p50 {slow['page_p50_s']} s, max {slow['page_max_s']} s "
             f"| < 3 s | {met(slow['page_max_s'] < 3)} |"]
    for row in figures["fairness"]:
        lines.append(f"| {row['runaway']} runaway queries ({row['runaway'] // WORKERS}x workers), other client's "
                     f"aggregate | p50 {row['aggregate_p50_ms']} ms, p99 {row['aggregate_p99_ms']} ms | p99 < 1 s "
                     f"| {met(row['aggregate_p99_ms'] < 1000)} |")
        lines.append(f"| same, other client's look-up (in the server process) | p50 {row['lookup_p50_ms']} ms, "
                     f"p99 {row['lookup_p99_ms']} ms | p99 < 50 ms | {met(row['lookup_p99_ms'] < 50)} |")
    return "\n".join(lines) + "\n"
