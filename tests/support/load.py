"""Load: N keep-alive connections sending a weighted mix of requests for a while, timed."""

from __future__ import annotations

import http.client
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from support.figures import percentile


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
