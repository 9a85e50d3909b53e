"""docs/benchmarks.md's table for `python -m benchmarks front`: figures beside Oxigraph's, each
target marked met or missed."""

from __future__ import annotations

OURS, TWO, OXIGRAPH = "zaisei", "zaisei 2 fronts", "oxigraph"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _ratio(ours, theirs) -> str:
    return f"{ours / theirs:.2f}×" if ours and theirs else "–"


def _rps(figures: dict, connections: int) -> float:
    return (figures.get(connections) or figures.get(str(connections)) or {}).get("rps") or 0


def _errors(figures: dict, connections: int) -> int:
    return (figures.get(connections) or figures.get(str(connections)) or {}).get("non_2xx", 0)


def table(figures: dict) -> str:
    """One publication's rows."""
    rows = [f"**{figures['output']}** ({figures['triples']:,} triples)", "",
            "| figure | zaisei | zaisei, 2 front processes | Oxigraph | zaisei ÷ Oxigraph | target | |",
            "|---|---|---|---|---|---|---|"]
    one = figures["one_client"]
    ratio = one[OURS]["p50_ms"] / one[OXIGRAPH]["p50_ms"]
    rows.append(f"| distinct small queries, one client, p50 (p99) ms | {one[OURS]['p50_ms']} ({one[OURS]['p99_ms']}) "
                f"| {one[TWO]['p50_ms']} ({one[TWO]['p99_ms']}) | {one[OXIGRAPH]['p50_ms']} ({one[OXIGRAPH]['p99_ms']}) "
                f"| {ratio:.2f}× | ≤ 1.0× | {_met(ratio <= 1.0)} |")
    for connections in (16, 64):
        rps = {name: (figures["throughput"].get(name, {}).get(connections) or
                      figures["throughput"].get(name, {}).get(str(connections)) or {}).get("rps")
               for name in (OURS, TWO, OXIGRAPH)}
        best = max(rps[OURS] or 0, rps[TWO] or 0)
        rows.append(f"| wrk, {connections} connections, rotating distinct queries, req/s | {rps[OURS]:,.0f} "
                    f"| {rps[TWO]:,.0f} | {rps[OXIGRAPH]:,.0f} | {_ratio(best, rps[OXIGRAPH])} (best) | ≥ 1.0× "
                    f"| {_met(best >= rps[OXIGRAPH])} |")
    for name, p50 in figures["aggregates"].items():
        ratio = p50[OURS] / p50[OXIGRAPH]
        rows.append(f"| aggregate \"{name}\", p50 ms | {p50[OURS]} | {p50[TWO]} | {p50[OXIGRAPH]} | {ratio:.2f}× "
                    f"| ≤ 1.0× | {_met(ratio <= 1.0)} |")
    memory = figures["memory_gb_per_million"]
    # Below a million triples the processes' fixed size (interpreters, libraries) is all there is.
    verdict = _met(memory[OURS] <= 0.6) if figures["triples"] >= 1e6 else "n/a below 1M triples"
    rows.append(f"| memory, PSS of all processes, GB per million triples | {memory[OURS]} | {memory[TWO]} "
                f"| {memory[OXIGRAPH]} | | ≤ 0.6 | {verdict} |")
    for row in figures["fairness"]:
        rows.append(f"| second client's look-up while one client runs {row['runaway']} runaway queries "
                    f"({row['runaway'] // 2}× the workers), p50 (p99) ms | {row['lookup_p50_ms']} "
                    f"({row['lookup_p99_ms']}) | | | | p99 < 50 ms | {_met(row['lookup_p99_ms'] < 50)} |")
        rows.append(f"| same, second client's aggregate (in a worker), p50 (p99) ms | {row['aggregate_p50_ms']} "
                    f"({row['aggregate_p99_ms']}) | | | | | |")
    for name, value in figures.get("memory_store_gb_per_million", {}).items():
        verdict = _met(value <= 0.6) if figures["triples"] >= 1e6 else "n/a below 1M triples"
        rows.append(f"| memory, `{name}`, GB per million triples | {value} | | | | ≤ 0.6 | {verdict} |")
    cache = figures["answer_cache"]
    rps = {int(c): v for c, v in cache["rps_50_queries"].items()}
    rows += ["", f"Answer cache (on its own; no target): a repeated query p50 {cache['hit_p50_ms']} ms, a 304 "
             f"revalidation p50 {cache['not_modified_p50_ms']} ms, wrk over 50 repeated queries "
             f"{rps[16]:,.0f} req/s at 16 connections and {rps[64]:,.0f} at 64.", ""]
    remote = figures.get("remote_fronts")
    if remote:
        rows += ["Remote mode over one engine (Oxigraph's server), wrk over rotating distinct look-ups, req/s: "
                 + "; ".join(f"{name}: {_rps(f, 16):,.0f} at 16 connections, {_rps(f, 64):,.0f} at 64 "
                             f"({_errors(f, 64)} answers not 2xx)" for name, f in remote.items()) + ".", ""]
    return "\n".join(rows)


def markdown(runs: list[dict], command: str, date: str, machine: str) -> str:
    return "\n".join([f"Run of {date} on {machine}: `{command}`.", ""] + [table(figures) for figures in runs])
