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

from .engines import ON_DISK, STORE
from .measure import percentile

# Our configurations: results key, and how the rows name it (the first is the one the
# older runs measured, under the same labels as then).
OURS = (("zaisei", "zaisei serve"), (STORE, "zaisei serve --store"), (ON_DISK, "zaisei serve --store --sparql-on-disk"))
ENGINES = (("zaisei", "zaisei /sparql"), (STORE, "zaisei --store /sparql (in-memory copy)"),
           (ON_DISK, "zaisei --store --sparql-on-disk /sparql"), ("bare", "bare pyoxigraph (in-process)"),
           ("oxigraph", "Oxigraph server"), ("rdflib-endpoint", "rdflib-endpoint"))
MB = 1024 * 1024
NOT_RUN = "not run"  # an engine, or a measurement, the run did not make (older results lack the newer ones)


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
        return NOT_RUN if entry["failed"].startswith((NOT_RUN, "rdflib-endpoint not installed")) else "failed"
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
        {"failed": served.get("failed") or NOT_RUN}


def _served(result: dict, engine: str, key: str, format) -> str:
    served = result["engines"].get(engine, {})
    return format(served[key]) if key in served else NOT_RUN


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
        ("zaisei: make persisted store once, s (disk MB)", each(_made_store)),
    ]
    for name in ("total per city-year", "year over year, all cities"):
        for mode in ("memory", "open"):
            table.append((f"{name}: bare engine on {'in-memory' if mode == 'memory' else 'persisted'} store, "
                          "p50 / p99 ms", each(lambda r, n=name, m=mode: _latency(
                              {"seconds": r["storage"][m]["latencies"].get(n, [])}))))
    for engine, label in OURS:
        table += _our_rows(engine, label, each)
    table += [
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


def _our_rows(engine: str, label: str, each) -> list[tuple[str, list[str]]]:
    """Start-up and memory of one of our configurations (the first keeps the older runs' labels)."""
    cache = "" if engine == "zaisei" else " (page cache not counted)"
    rows = [(f"{label}: start-up to first answer, s", each(lambda r: _served(r, engine, "startup", _s))),
            (f"{label}: memory after start, MB / per M triples{cache}", each(
                lambda r: _served(r, engine, "memory", lambda v: _per_million(v, r))))]
    if engine == STORE:
        rows.append((f"{label}: in-memory copy serves, s after launch (memory then, MB)", each(
            lambda r: _served(r, engine, "copy", _copy))))
    rows += [(f"{label}: memory after the query mix, MB / per M triples{cache}", each(
                 lambda r: _served(r, engine, "memory_after_mix", lambda v: _per_million(v, r)))),
             (f"{label}: peak memory during the run, MB", each(lambda r: _served(r, engine, "peak", _mb)))]
    return rows


def _copy(copy: dict) -> str:
    if "seconds" not in copy:
        return "failed: " + copy.get("failed", "?")
    return f"{copy['seconds']:.2f} ({_mb(copy['memory'])})"


def _made_store(result: dict) -> str:
    made = result.get("zaisei_store")
    if not made:
        return NOT_RUN
    return "failed" if "failed" in made else f"{made['seconds']:.1f} ({_mb(made['disk'])})"


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
    """Issue 7's targets, checked on the numbers of this run, for each of our configurations run."""
    found = []
    for r in results:
        found.append(f"\n**{r['size']}** ({r['build']['triples']:,} triples)")
        for engine, label in OURS:
            if engine in r["engines"]:  # older runs measured the first configuration only
                found += [_labelled(line, label) for line in _latency_targets(r, kinds, engine) + _throughput_targets(r, engine)
                          + _resource_targets(r, engine)]
        found += _build_targets(r)
    return found


def _labelled(line: str, label: str) -> str:
    """`- **MET** what: ...` as `- **MET** `label` what: ...`: which configuration a verdict is for."""
    verdict, rest = line.split("** ", 1)
    return f"{verdict}** `{label}` {rest}"


def _floor(r: dict, engine: str, query: str, kind: str) -> tuple[float | None, str]:
    """The bare engine's p50 our endpoint's overhead is measured against, and how to name it.

    On the persisted store, an aggregate's floor is the bare engine on the persisted store
    (the store rows): the overhead is the endpoint's, not the storage's, which the
    ratios to Oxigraph and rdflib-endpoint show. Small queries have only the in-memory floor."""
    if engine == ON_DISK and kind != "small":
        seconds = r["storage"].get("open", {}).get("latencies", {}).get(query)
        return (percentile(seconds, 50) if seconds else None), "the bare engine on the persisted store"
    return _p50(r, "bare", query), "the bare engine"


def _latency_targets(r: dict, kinds: dict[str, str], engine: str = "zaisei") -> list[str]:
    lines = []
    for query, kind in kinds.items():
        ours, oxi, rdf = (_p50(r, e, query) for e in (engine, "oxigraph", "rdflib-endpoint"))
        bare, floor = _floor(r, engine, query, kind)
        known = ours is not None and bare is not None
        if kind == "small":
            lines.append(_check(f"{query}: overhead over {floor} at p50",
                                f"{(ours - bare) * 1000:.2f} ms" if known else "–", "≤ 1 ms",
                                (ours - bare) <= 0.001 if known else None))
            continue
        lines.append(_check(f"{query}: overhead over {floor} at p50",
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


def _throughput_targets(r: dict, engine: str = "zaisei") -> list[str]:
    lines = []
    ours = r["engines"].get(engine, {}).get("throughput", {})
    oxi = r["engines"].get("oxigraph", {}).get("throughput", {})
    for c in ("16", "64"):
        a, b = (t.get(c) or t.get(int(c)) or {} for t in (ours, oxi))
        known = "rps" in a and "rps" in b
        lines.append(_check(f"small-query throughput at {c} connections vs Oxigraph",
                            f"{a['rps'] / b['rps']:.2f}" if known else "–", "≥ 0.33",
                            a["rps"] >= b["rps"] / 3 if known else None))
    return lines


def _resource_targets(r: dict, engine: str = "zaisei") -> list[str]:
    served = r["engines"].get(engine, {})
    millions = r["build"]["triples"] / 1e6
    lines = []
    if "memory" in served and millions >= 1:  # below 1M the interpreters' fixed cost dominates
        lines.append(_memory_target(served, millions))
    if r["size"] == "1m" and "startup" in served:
        copy = served.get("copy", {})
        after = f" (in-memory copy serving after {copy['seconds']:.1f} s)" if "seconds" in copy else ""
        lines.append(_check("start-up to first answer at 1M", f"{served['startup']:.2f} s{after}", "≤ 3 s",
                            served["startup"] <= 3))
    return lines


def _memory_target(served: dict, millions: float) -> str:
    """Per million triples after start and, when measured, after the query mix: the larger must
    meet it (with --store, the in-memory copy is loaded after start, so only the second has it)."""
    per = {when: served[key] / 1024 ** 3 / millions
           for when, key in (("after start", "memory"), ("after the query mix", "memory_after_mix")) if key in served}
    value = ", ".join(f"{gb:.2f} GB {when}" for when, gb in per.items()) if len(per) > 1 else \
        f"{per['after start']:.2f} GB"
    return _check("memory served per million triples", value, "≤ 0.6 GB", max(per.values()) <= 0.6)


def _build_targets(r: dict) -> list[str]:
    if r["size"] != "1m":
        return []
    return [_check("build of 1M triples on this machine, validation included",
                   f"{r['build']['wall']:.0f} s", "≤ 120 s", r["build"]["wall"] <= 120)]


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
    lines += ["", table(results)]
    if any(engine in r["engines"] for r in results for engine in (STORE, ON_DISK)):
        lines += [CONFIGURATIONS, ""]
    lines += ["Targets of issue 7, checked on the numbers above:"]
    lines += targets(results, kinds)
    return "\n".join(lines) + "\n"


CONFIGURATIONS = (
    "Our configurations: `zaisei serve` loads the dumps into memory at start. `zaisei serve --store` opens a "
    "persisted store, made once before its start-up (the \"make persisted store once\" row), answers from it at "
    "once, and loads an in-memory copy in the background: its memory after start may precede the copy; the run "
    "waits until the copy serves (every query worker forked after the copy loaded, none holding a file of the "
    "persisted store), and its query mix, memory after the mix and throughput are measured after that, on the "
    "in-memory copy alone. `zaisei serve --store --sparql-on-disk` stays on the persisted store; its aggregates' "
    "overhead is checked against the bare engine on the persisted store. The page cache holding the persisted "
    "store is not counted in any memory figure.")


MARKER = "results"  # docs/benchmarks.md's section of the documented run


def markers(name: str = MARKER) -> tuple[str, str]:
    """The comments a results section sits between: `<!-- NAME:start -->`, `<!-- NAME:end -->`."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


START, END = markers()


def write_docs(path: Path, section: str, name: str = MARKER) -> None:
    """Replace the results between the markers `name` of docs/benchmarks.md, keeping the prose
    (and any other results section) around them. Markers not found yet are added at the end,
    under a heading of their own, for the prose to be written around them."""
    start, end = markers(name)
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in text:
        text = text.rstrip("\n") + f"\n\n## Results ({name})\n\n{start}\n{end}\n"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(f"{before}{start}\n{section}{end}{after}", encoding="utf-8")
