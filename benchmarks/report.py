"""The one table (metrics down, sizes across), the targets of issue 7, and the environment.

Every number in the table comes from the same `run` over the same data; the
targets are checked on those numbers and reported as MET or MISSED, never
adjusted.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from .measure import percentile

ENGINES = (("zaisei", "zaisei /sparql"), ("bare", "bare pyoxigraph (in-process)"),
           ("oxigraph", "Oxigraph server"), ("rdflib-endpoint", "rdflib-endpoint"))
MB = 1024 * 1024


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def _latency(entry: dict | None) -> str:
    if not entry:
        return "–"
    if entry.get("failed") and not entry.get("seconds"):
        bound = re.search(r"no answer within (\d+) s", entry["failed"])
        if bound:
            return f"> {int(bound[1]) * 1000:,} (no answer)"
        return "not run" if entry["failed"].startswith(("not run", "rdflib-endpoint not installed")) else "failed"
    values = entry["seconds"]
    return f"{_ms(percentile(values, 50))} / {_ms(percentile(values, 99))} (n={len(values)})"


def _s(seconds: float) -> str:
    return f"{seconds:.2f}"


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}"


def _rate(triples: int, seconds: float) -> str:
    return f"{triples / seconds:,.0f}" if seconds else "–"


def _engine_latency(result: dict, engine: str, query: str) -> dict | None:
    if engine == "bare":
        return result["bare"]["latencies"].get(query)
    served = result["engines"].get(engine, {})
    return served.get("latencies", {}).get(query) if "latencies" in served else \
        ({"failed": served.get("failed")} if served else None)


def _served(result: dict, engine: str, key: str, format) -> str:
    served = result["engines"].get(engine, {})
    if key not in served:
        return "not run" if served.get("failed") else "–"
    return format(served[key])


def _rps(entry: dict) -> str:
    if "failed" in entry:
        return "failed"
    errors = f" ({entry['non_2xx']} errors)" if entry.get("non_2xx") else ""
    return f"{entry['rps']:,.0f}{errors}"


def rows(results: list[dict]) -> list[tuple[str, list[str]]]:
    """(metric, one cell per size)."""
    def each(function):
        return [function(r) for r in results]

    table = [
        ("municipalities × years", each(lambda r: f"{r['municipalities']} × {r['years']}")),
        ("datasets", each(lambda r: f"{r['build']['datasets']:,}")),
        ("triples", each(lambda r: f"{r['build']['triples']:,}")),
        ("build from scratch, wall s (validation included)", each(lambda r: f"{r['build']['wall']:.1f}")),
        ("build from scratch, CPU s of all processes (load average at start)", each(
            lambda r: f"{r['build'].get('cpu', 0):.0f} ({r['build'].get('load', 0):.1f})")),
        ("build peak memory, MB (PSS, all processes)", each(lambda r: f"{r['build']['peak'] / MB:,.0f}")),
    ]
    for stage in ("reconcile", "mapping", "validation", "serialisation"):
        table.append((f"build stage {stage}: triples/s per core (s in workers)",
                      each(lambda r, s=stage: f"{_rate(r['build']['triples'], r['build']['stages'][s])} "
                                              f"({r['build']['stages'][s]:.1f})")))
    table += [
        ("build: datasets in parallel (wall) / catalog / ontology+manifest / checksums, s", each(lambda r: " / ".join(
            f"{r['build']['top'].get(k, 0):.1f}" for k in ("datasets", "catalog", "serialisation", "checksums")))),
        ("rebuild, nothing changed, wall s", each(lambda r: f"{r['rebuild']['wall']:.1f} "
                                                            f"({r['rebuild']['reused']} reused)")),
        ("store: bulk-load all.nq.gz in memory, s to first answer", each(lambda r: _s(r["storage"]["memory"]["ready"]))),
        ("store: in memory, MB (PSS) / per M triples", each(lambda r: _per_million(r["storage"]["memory"]["pss"], r))),
        ("store: create persisted store once, s (disk MB)", each(
            lambda r: f"{r['storage']['persist']['ready']:.1f} ({_mb(r['storage']['persist']['disk'])})")),
        ("store: open persisted read-only, s to first answer", each(lambda r: f"{r['storage']['open']['ready']:.3f}")),
        ("store: persisted, MB (PSS) after the aggregates", each(lambda r: _mb(r["storage"]["open"]["pss"]))),
    ]
    for name in ("total per city-year", "year over year, all cities"):
        for mode in ("memory", "open"):
            table.append((f"{name}: bare engine on {'in-memory' if mode == 'memory' else 'persisted'} store, "
                          "p50 / p99 ms", each(lambda r, n=name, m=mode: _latency(
                              {"seconds": r["storage"][m]["latencies"].get(n, [])}))))
    table += [
        ("zaisei serve: start-up to first answer, s", each(lambda r: _served(r, "zaisei", "startup", _s))),
        ("zaisei serve: memory after start, MB / per M triples", each(lambda r: _served(
            r, "zaisei", "memory", lambda v: _per_million(v, r)))),
        ("zaisei serve: peak memory during the run, MB", each(lambda r: _served(r, "zaisei", "peak", _mb))),
        ("Oxigraph: load (once) / start-up, s", each(
            lambda r: f"{r.get('oxigraph_load', 0):.1f} / " + _served(r, "oxigraph", "startup", _s))),
        ("Oxigraph: memory after start / peak, MB (page cache not counted)", each(
            lambda r: _served(r, "oxigraph", "memory", _mb) + " / " + _served(r, "oxigraph", "peak", _mb))),
        ("rdflib-endpoint: start-up, s / memory, MB", each(lambda r: _served(
            r, "rdflib-endpoint", "startup", lambda v: f"{v:.1f}") + " / " + _served(r, "rdflib-endpoint", "memory", _mb))),
    ]
    for query in _query_names(results):
        for engine, label in ENGINES:
            table.append((f"{query} — {label}, p50 / p99 ms",
                          each(lambda r, e=engine, q=query: _latency(_engine_latency(r, e, q)))))
    for connections in ("16", "64"):
        for engine, label in ENGINES:
            if engine != "bare":
                table.append((f"small query, {connections} connections — {label}, requests/s",
                              each(lambda r, e=engine, c=connections: _served(
                                  r, e, "throughput", lambda t: _rps(t.get(c) or t.get(int(c)) or {"failed": 1})))))
    return table


def _per_million(pss: int, result: dict) -> str:
    millions = result["build"]["triples"] / 1e6
    return f"{pss / MB:,.0f} / {pss / 1024 ** 3 / millions:.2f} GB"


def _query_names(results: list[dict]) -> list[str]:
    return list(results[0]["bare"]["latencies"]) if results else []


def table(results: list[dict]) -> str:
    """The one table, as Markdown."""
    header = "| metric | " + " | ".join(r["size"] for r in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]
    lines += [f"| {metric} | " + " | ".join(cells) + " |" for metric, cells in rows(results)]
    return "\n".join(lines) + "\n"


# -- targets ---------------------------------------------------------------------

def _p50(result: dict, engine: str, query: str) -> float | None:
    entry = _engine_latency(result, engine, query)
    return percentile(entry["seconds"], 50) if entry and entry.get("seconds") else None


def _timed_out(result: dict, engine: str, query: str) -> float | None:
    """The request timeout, when an engine gave no answer within it (a lower bound on its latency)."""
    entry = _engine_latency(result, engine, query) or {}
    found = re.search(r"no answer within (\d+) s", entry.get("failed") or "")
    return float(found[1]) if found and not entry.get("seconds") else None


def _check(label: str, value, limit, ok: bool | None) -> str:
    verdict = "not measured" if ok is None else "MET" if ok else "MISSED"
    return f"- **{verdict}** {label}: {value} (target {limit})"


def targets(results: list[dict], kinds: dict[str, str]) -> list[str]:
    """Issue 7's targets, checked on the numbers of this run."""
    found = []
    for r in results:
        found.append(f"\n**{r['size']}** ({r['build']['triples']:,} triples)")
        found += _latency_targets(r, kinds) + _throughput_targets(r) + _resource_targets(r)
    return found


def _latency_targets(r: dict, kinds: dict[str, str]) -> list[str]:
    lines = []
    for query, kind in kinds.items():
        ours, bare, oxi, rdf = (_p50(r, e, query) for e in ("zaisei", "bare", "oxigraph", "rdflib-endpoint"))
        known = ours is not None and bare is not None
        if kind == "small":
            lines.append(_check(f"{query}: overhead over the bare engine at p50",
                                f"{(ours - bare) * 1000:.2f} ms" if known else "–", "≤ 1 ms",
                                (ours - bare) <= 0.001 if known else None))
            continue
        lines.append(_check(f"{query}: overhead over the bare engine at p50",
                            f"{(ours / bare - 1) * 100:+.0f}%" if known else "–", "≤ +20%",
                            ours <= 1.2 * bare if known else None))
        lines.append(_check(f"{query}: vs Oxigraph server at p50", f"{ours / oxi:.2f}×" if ours and oxi else "–",
                            "≤ 1.3×", ours <= 1.3 * oxi if ours and oxi else None))
        if r["size"] == "1m":
            bound = _timed_out(r, "rdflib-endpoint", query)
            slower = rdf or bound
            ratio = f"{'> ' if bound else ''}{slower / ours:,.0f}×" if ours and slower else "–"
            lines.append(_check(f"{query}: faster than rdflib-endpoint at 1M", ratio, "≥ 20×",
                                slower >= 20 * ours if ours and slower else None))
    return lines


def _throughput_targets(r: dict) -> list[str]:
    lines = []
    ours = r["engines"].get("zaisei", {}).get("throughput", {})
    oxi = r["engines"].get("oxigraph", {}).get("throughput", {})
    for c in ("16", "64"):
        a, b = (t.get(c) or t.get(int(c)) or {} for t in (ours, oxi))
        known = "rps" in a and "rps" in b
        lines.append(_check(f"small-query throughput at {c} connections vs Oxigraph",
                            f"{a['rps'] / b['rps']:.2f}" if known else "–", "≥ 0.33",
                            a["rps"] >= b["rps"] / 3 if known else None))
    return lines


def _resource_targets(r: dict) -> list[str]:
    served = r["engines"].get("zaisei", {})
    millions = r["build"]["triples"] / 1e6
    lines = []
    if "memory" in served and millions >= 1:  # below 1M the interpreters' fixed cost dominates
        per = served["memory"] / 1024 ** 3 / millions
        lines.append(_check("memory served per million triples", f"{per:.2f} GB", "≤ 0.6 GB", per <= 0.6))
    if r["size"] == "1m":
        if "startup" in served:
            lines.append(_check("start-up to first answer at 1M", f"{served['startup']:.2f} s", "≤ 3 s",
                                served["startup"] <= 3))
        lines.append(_check("build of 1M triples on this machine, validation included",
                            f"{r['build']['wall']:.0f} s", "≤ 120 s", r["build"]["wall"] <= 120))
    return lines


# -- where and with what ---------------------------------------------------------

def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _command(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not installed"


def environment(peers: Path | None) -> dict[str, str]:
    """Machine and versions, as the docs record them."""
    cpu = "unknown"
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())[1]
    except (OSError, TypeError):
        pass
    memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    peer = peers / "bin" / "python" if peers else None
    return {
        "machine": f"{cpu}, {len(_cores())} cores available, "
                   f"{int(memory[1]) / 1024 ** 2:.1f} GB RAM, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "zaisei": _version("zaisei"), "pyoxigraph": _version("pyoxigraph"), "pyshacl": _version("pyshacl"),
        "rdflib (ours)": _version("rdflib"), "flask": _version("flask"), "waitress": _version("waitress"),
        "oxigraph server": _command(shutil.which("oxigraph") or str(peers / "bin" / "oxigraph" if peers else "oxigraph"),
                                    "--version"),
        "rdflib-endpoint": _command(str(peer), "-c", "import importlib.metadata as m; print("
                                    "'rdflib-endpoint', m.version('rdflib-endpoint'), 'rdflib', m.version('rdflib'),"
                                    " 'uvicorn', m.version('uvicorn'))") if peer else "not installed",
        "wrk": _command(shutil.which("wrk") or "wrk", "-v"),
    }


def _cores() -> set:
    import os

    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))


def markdown(results: list[dict], kinds: dict[str, str], env: dict[str, str], command: str, date: str) -> str:
    """The results section of docs/benchmarks.md."""
    lines = [f"Measured {date} with `{command}`.", ""]
    lines += [f"- {name}: {value}" for name, value in env.items()]
    lines += ["", table(results), "Targets of issue 7, checked on the numbers above:"]
    lines += targets(results, kinds)
    return "\n".join(lines) + "\n"


START, END = "<!-- results:start -->", "<!-- results:end -->"


def write_docs(path: Path, section: str) -> None:
    """Replace the results between the markers of docs/benchmarks.md, keeping the prose around them."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{section}{END}{after}", encoding="utf-8")
