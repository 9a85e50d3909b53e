"""Processes and their memory, read from /proc: a process tree's RSS and PSS, sampled in a thread."""

from __future__ import annotations

import re
from pathlib import Path
import threading
import time

from benchmarks.measure import tree

MiB = 2**20



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
