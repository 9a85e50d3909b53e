"""Measuring tools: memory of a process tree, latency percentiles, an HTTP client, wrk.

Memory is PSS (proportional set size, /proc/PID/smaps_rollup) summed over a
process and its descendants: our endpoint forks query workers that share
the loaded store copy-on-write, and summing RSS would count it once per worker.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path


def children(pid: int) -> list[int]:
    """The direct children of pid (Linux /proc; [] once it is gone)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += children(current)
    return pids


def pss_bytes(pid: int) -> int:
    """Proportional set size of a process tree, in bytes (0 once it is gone)."""
    total = 0
    for member in tree(pid):
        try:
            text = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
        total += int(match[1]) * 1024 if match else 0
    return total


class MemorySampler:
    """Samples a process tree's PSS in a thread; `peak` is the largest sample."""

    def __init__(self, pid: int, interval: float = 0.25):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, pss_bytes(self.pid))
            self._stop.wait(self.interval)

    def now(self) -> int:
        return pss_bytes(self.pid)

    def stop(self) -> int:
        self.peak = max(self.peak, pss_bytes(self.pid))
        self._stop.set()
        self._thread.join()
        return self.peak


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Latencies:
    """Seconds per request of one query on one engine; `failed` says why if it never answered."""

    seconds: list[float] = field(default_factory=list)
    failed: str = ""

    @property
    def p50(self) -> float | None:
        return percentile(self.seconds, 50) if self.seconds else None

    @property
    def p99(self) -> float | None:
        return percentile(self.seconds, 99) if self.seconds else None


def repeat(call, runs: int, budget: float, minimum: int = 3) -> Latencies:
    """Time call() up to `runs` times or for `budget` seconds (at least `minimum` times).

    The first call is a warm-up; when it alone outlasts the budget it is the
    only sample, so one pathological query cannot hold a run for hours.
    """
    found = Latencies()
    try:
        begin = time.perf_counter()
        call()
        warm_up = time.perf_counter() - begin
    except Exception as exc:  # noqa: BLE001 - any failure is a result to report
        found.failed = f"{type(exc).__name__}: {exc}"[:200]
        return found
    if warm_up > budget:
        found.seconds.append(warm_up)
        return found
    started = time.perf_counter()
    while len(found.seconds) < runs and (len(found.seconds) < minimum or time.perf_counter() - started < budget):
        begin = time.perf_counter()
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            found.failed = f"{type(exc).__name__}: {exc}"[:200]
            break
        found.seconds.append(time.perf_counter() - begin)
    return found


class Client:
    """One keep-alive HTTP connection, as a SPARQL client library would hold."""

    def __init__(self, url: str, timeout: float = 600):
        parts = urllib.parse.urlsplit(url)
        self.path, self.host, self.port, self.timeout = parts.path or "/", parts.hostname, parts.port, timeout
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def get(self, query: str, accept: str) -> bytes:
        """GET ?query=...; raises on any status but 200; reads the whole body."""
        target = self.path + "?" + urllib.parse.urlencode({"query": query})
        for attempt in (1, 2):
            try:
                self.connection.request("GET", target, headers={"Accept": accept})
                response = self.connection.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
        return body

    def close(self) -> None:
        self.connection.close()


def terminate(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM, then SIGKILL if the process has not exited after grace seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_answers(url: str, query: str, process: subprocess.Popen, timeout: float) -> float:
    """Seconds until the endpoint first answers query with 200 (polling every 20 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        client = Client(url, timeout=5)
        try:
            client.get(query, "application/sparql-results+json")
            return time.perf_counter() - started
        except (OSError, RuntimeError, http.client.HTTPException):
            time.sleep(0.02)
        finally:
            client.close()
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def wrk(url: str, query: str, connections: int, seconds: int) -> dict:
    """Requests/s and latency of one small query under load (wrk, bounded in time)."""
    binary = shutil.which("wrk")
    if binary is None:
        return {"failed": "wrk not installed (python -m benchmarks setup)"}
    target = url + "?" + urllib.parse.urlencode({"query": query})
    threads = min(2, connections)
    done = subprocess.run([binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                           "--latency", "-H", "Accept: application/sparql-results+json", target],
                          capture_output=True, text=True, timeout=seconds + 60)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", done.stdout)
    if not rate:
        return {"failed": (done.stdout + done.stderr)[-300:]}
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    return {"rps": float(rate[1]), "non_2xx": int(errors[1]) if errors else 0,
            "p50": float(p50[1]) * scale[p50[2]] if p50 else None}
