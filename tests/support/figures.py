"""Figures the tests measure: percentiles, the machine, a JSON report in test-artifacts/."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
from pathlib import Path

from support.paths import ROOT


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


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
