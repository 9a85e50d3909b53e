"""Helpers for the reliability tests (tests/test_reliability_*.py, issue 8), and tests of the helpers.

- Served: `zaisei serve` in a subprocess on 127.0.0.1 (a chosen or a free port), as conftest.start_server
  does, optionally audited: a sitecustomize installs a Python audit hook in the server and in the
  engine's processes that logs every file opened, every directory listed and every outbound connection;
- memory(pid): RSS and PSS of a process and all its descendants (the engine's zygote and workers);
- MemoryTrace: samples memory() in a thread;
- Load: N keep-alive connections sending a weighted mix of requests for a while, with latencies;
- raw(): bytes over a socket, the answer parsed (for requests no HTTP library would send).
"""

from __future__ import annotations

import atexit
import datetime
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.measure import tree   # pid and its descendants, from /proc

from conftest import ROOT, free_port

MiB = 2**20
# Installed as sitecustomize.py in the audited server's environment (it reaches the engine's
# zygote and workers too, which are `python -m zaisei.serving.engine` children of the server).
AUDIT = r'''
import os, sys
_log = os.environ.get("ZAISEI_AUDIT_LOG")
if _log:
    _out = open(_log, "a", buffering=1, encoding="utf-8", errors="backslashreplace")
    _pid = os.getpid()

    def _hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            _out.write(f"{os.getpid()}\t{event}\t{os.path.abspath(os.fsdecode(args[0]))!r}\n")
        elif event == "socket.connect":
            _out.write(f"{os.getpid()}\tconnect\t{args[1]!r}\n")
        elif event in ("urllib.Request", "http.client.connect"):
            _out.write(f"{os.getpid()}\t{event}\t{args[:2]!r}\n")

    sys.addaudithook(_hook)
'''


@dataclass
class Audit:
    """The audit log of a server: (pid, event, argument) lines."""

    path: Path

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def events(self, since: int = 0) -> list[tuple[str, str, str]]:
        with open(self.path, encoding="utf-8") as log:
            log.seek(since)
            return [tuple(line.rstrip("\n").split("\t", 2)) for line in log if line.count("\t") >= 2]

    def files(self, since: int = 0) -> list[str]:
        """Paths opened or listed (as absolute paths)."""
        import ast

        return [ast.literal_eval(arg) for _, event, arg in self.events(since) if event in ("open", "os.listdir",
                                                                                             "os.scandir")]

    def connections(self, since: int = 0) -> list[str]:
        return [arg for _, event, arg in self.events(since)
                if event in ("connect", "urllib.Request", "http.client.connect")]


def audited_environment() -> tuple[dict, Audit]:
    """An environment whose Python processes log to the returned Audit (a sitecustomize on PYTHONPATH)."""
    folder = Path(tempfile.mkdtemp(prefix="zaisei-audit-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "sitecustomize.py").write_text(AUDIT, encoding="utf-8")
    audit = Audit(folder / "audit.log")
    environment = {**os.environ, "ZAISEI_AUDIT_LOG": str(audit.path)}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return environment, audit


class Served:
    """`zaisei serve --output OUTPUT EXTRA...` in a subprocess on 127.0.0.1."""

    def __init__(self, output: Path, *extra: str, port: int | None = None, audit: bool = False):
        self.output, self.port = Path(output), port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log, self.text = tempfile.TemporaryFile(), ""   # noqa: SIM115 - open while the server runs
        environment, self.audit = audited_environment() if audit else ({**os.environ}, None)
        command = [sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output), "--port", str(self.port),
                   *extra]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=environment)
        self.pid = self.process.pid
        self._await()

    def _await(self) -> None:
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                    answer.read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.output_text())
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("server did not start: " + self.output_text())

    def output_text(self) -> str:
        """What the server printed (stdout and stderr), also after stop()."""
        if not self.log.closed:
            self.log.seek(0)
            self.text = self.log.read().decode(errors="replace")
        return self.text

    def tree(self) -> list[int]:
        return tree(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.output_text()
        self.log.close()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.output_text()
        self.log.close()


# --- memory, from /proc ------------------------------------------------------------------


def alive(pid: int) -> bool:
    """True while pid exists and is no zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def memory(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, processes) of pid and its descendants, in bytes.

    RSS counts the store the workers share copy-on-write once per process; PSS splits shared
    pages between their users, so it is what the tree really costs.
    """
    rss = pss = count = 0
    for member in tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        rss += int(found[1]) * 1024 if found else 0
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        pss += int(found[1]) * 1024 if found else 0
        count += 1
    return rss, pss, count


class MemoryTrace:
    """memory(pid) every `interval` seconds, in a thread: samples are (seconds, rss, pss, processes)."""

    def __init__(self, pid: int, interval: float = 0.25):
        self.pid, self.interval, self.samples = pid, interval, []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - self.started, *memory(self.pid)))
            self._stop.wait(self.interval)

    def stop(self) -> MemoryTrace:
        self._stop.set()
        self._thread.join()
        return self

    def window(self, start: float, end: float) -> list[tuple]:
        return [s for s in self.samples if start <= s[0] <= end]

    def peak_rss(self) -> int:
        return max(s[1] for s in self.samples)

    def peak_pss(self) -> int:
        return max(s[2] for s in self.samples)


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- figures ---------------------------------------------------------------------------------

ARTIFACTS = ROOT / "test-artifacts" / "reliability"


def machine() -> dict:
    """What the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    total = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return {"cpus": os.cpu_count(), "cpu": model[1] if model else "?", "memory_gib": round(int(total[1]) / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()]}


def report(name: str, figures: dict) -> dict:
    """Print the figures (pytest -s shows them) and keep them in test-artifacts/reliability/NAME.json."""
    figures = {"test": name, "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "machine": machine(), **figures}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    print(f"\n{name}: " + json.dumps(figures, indent=1, ensure_ascii=False))
    return figures


# --- load ------------------------------------------------------------------------------------


VARIES = "R4ND0M"   # in a Call's path: replaced by a random number on every request


@dataclass(frozen=True)
class Call:
    """One kind of request in a load mix, and the statuses that count as a right answer."""

    kind: str
    path: str
    headers: tuple = ()
    method: str = "GET"
    body: bytes | None = None
    expect: tuple[int, ...] = (200,)


@dataclass
class LoadResult:
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)   # kind -> ms
    errors: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [ms for values in self.latencies.values() for ms in values]

    def figures(self) -> dict:
        every = self.all_latencies()
        kinds = {kind: {"requests": len(v), "p50_ms": round(percentile(v, 50), 1),
                        "p99_ms": round(percentile(v, 99), 1)} for kind, v in sorted(self.latencies.items()) if v}
        return {"seconds": round(self.seconds, 1), "requests": self.requests,
                "requests_per_second": round(self.requests / self.seconds, 1), "errors": len(self.errors),
                "p50_ms": round(percentile(every, 50), 1), "p99_ms": round(percentile(every, 99), 1),
                "max_ms": round(max(every), 1), "statuses": dict(sorted(self.statuses.items())), "kinds": kinds}


class Load:
    """`connections` keep-alive HTTP/1.1 connections, each sending calls drawn from a weighted mix."""

    def __init__(self, url: str, mix: list[tuple[int, Call]], connections: int = 64, seed: int = 8):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.calls = [call for weight, call in mix for _ in range(weight)]
        self.connections, self.seed = connections, seed
        self._lock = threading.Lock()

    def run(self, seconds: float, stop: threading.Event | None = None) -> LoadResult:
        result = LoadResult(seconds)
        deadline = time.monotonic() + seconds
        stop = stop or threading.Event()
        barrier = threading.Barrier(self.connections + 1)
        threads = [threading.Thread(target=self._client, args=(n, deadline, stop, barrier, result), daemon=True)
                   for n in range(self.connections)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.monotonic()
        for thread in threads:
            thread.join()
        result.seconds = time.monotonic() - started
        return result

    def _client(self, number: int, deadline: float, stop, barrier, result: LoadResult) -> None:
        rng = random.Random(self.seed * 1000 + number)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        latencies, errors, statuses = {}, [], {}
        barrier.wait()
        while time.monotonic() < deadline and not stop.is_set():
            call = rng.choice(self.calls)
            path = call.path.replace(VARIES, str(rng.randrange(10**9))) if VARIES in call.path else call.path
            started = time.perf_counter()
            try:
                connection.request(call.method, path, body=call.body, headers=dict(call.headers))
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{call.kind} {call.path[:80]}: {type(exc).__name__}: {exc}")
                connection.close()
                connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                continue
            latencies.setdefault(call.kind, []).append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status not in call.expect:
                errors.append(f"{call.kind} {call.path[:80]}: HTTP {status}")
        connection.close()
        with self._lock:
            for kind, values in latencies.items():
                result.latencies.setdefault(kind, []).extend(values)
            result.errors.extend(errors)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count


# --- raw HTTP ----------------------------------------------------------------------------------


@dataclass
class RawAnswer:
    status: int | None        # None: the server closed the connection without an answer
    headers: dict[str, str]
    body: bytes
    raw: bytes


def raw(port: int, data: bytes, timeout: float = 10.0) -> RawAnswer:
    """Send bytes as they are, read the first answer (to its end, or until the server closes).

    The write side stays open: the server (hyper, in granian) takes a client that shuts its
    write side for one that went away, and answers nothing."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        try:
            connection.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            pass   # answered (413) and closed before the whole body was sent: the answer may be there
        try:
            while not _complete(received) and (chunk := connection.recv(1 << 16)):
                received += chunk
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/\d\.\d (\d{3})", lines[0]) if lines else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return RawAnswer(int(match[1]) if match else None, headers, body, received)


def _complete(received: bytes) -> bool:
    """True when received holds a whole answer: headers and a body of its Content-Length (or chunks)."""
    head, found, body = received.partition(b"\r\n\r\n")
    if not found:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if re.match(rb"HTTP/\d\.\d (1\d\d|204|304)", head) or (length and len(body) >= int(length[1])):
        return True
    return bool(re.search(rb"(?im)^transfer-encoding:\s*chunked", head)) and body.endswith(b"0\r\n\r\n")


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0] or b"0", 16)
        if not length:
            break
        out, body = out + rest[:length], rest[length + 2:]
    return out


def get(path: str, *headers: str, method: str = "GET", body: bytes = b"") -> bytes:
    """A raw HTTP/1.1 request (Connection: close); header lines as given, bytes allowed via latin-1."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- tests of the helpers ----------------------------------------------------------------------


def test_memory_counts_a_process_and_its_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 5
        while child.pid not in tree(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.01)
        rss, pss, count = memory(os.getpid())
        assert count >= 2 and rss > memory(child.pid)[0] > 0 and 0 < pss <= rss
    finally:
        child.kill()
        child.wait()
    assert not alive(child.pid)


def test_the_audit_sees_files_and_connections_of_children_too(tmp_path):
    """The hook reaches a child and a grandchild (as the engine's zygote and workers) and logs them."""
    environment, audit = audited_environment()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    secret = tmp_path / "secret.txt"
    secret.write_text("x", encoding="utf-8")
    child = ("import socket, subprocess, sys; open(sys.argv[1]).read(); "
             "socket.create_connection(('127.0.0.1', int(sys.argv[2]))).close(); "
             "subprocess.run([sys.executable, '-c', 'import os; os.listdir(\"/\")'])")
    subprocess.run([sys.executable, "-c", child, str(secret), str(port)], env=environment,
                   check=True, timeout=60)
    server.close()
    assert str(secret) in audit.files() and "/" in audit.files()
    assert any(f"('127.0.0.1', {port})" in c for c in audit.connections()), audit.connections()
    assert len({pid for pid, _, _ in audit.events()}) == 2


def test_raw_parses_an_answer():
    server = socket.create_server(("127.0.0.1", 0))

    def answer():
        connection, _ = server.accept()
        connection.recv(1024)
        connection.sendall(b"HTTP/1.1 418 I'm a teapot\r\nX-A: b\r\n\r\ntea")
        connection.close()

    thread = threading.Thread(target=answer)
    thread.start()
    found = raw(server.getsockname()[1], get("/"))
    thread.join()
    server.close()
    assert (found.status, found.headers["x-a"], found.body) == (418, "b", b"tea")
