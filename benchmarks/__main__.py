"""Command line: `python -m benchmarks {setup,generate,run}` (see benchmarks/README.md).

`engine` and `storage` are internal: `run` starts them as child processes so
that each one's memory is measured on its own.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORK = ROOT / "benchmarks" / "work"
PEERS = "venv-peers"  # the compared engines' own virtualenv, never the project's environment


def setup(args) -> int:
    """Install what the comparison needs, outside the project's dependencies."""
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    venv = args.work / PEERS
    wanted = ["rdflib-endpoint[web]"] + (["oxigraph"] if shutil.which("oxigraph") is None else [])
    if not (venv / "bin" / "rdflib-endpoint").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *wanted], check=True)
    print(f"wrk, oxigraph and rdflib-endpoint ({venv}) are ready")
    return 0


def generate(args) -> int:
    from .generate import SIZES, generate as write

    towns, years = SIZES[args.size] if args.size else (args.municipalities, args.years)
    folders = write(args.out, towns, years, args.seed)
    print(f"{len(folders)} source folders ({towns} municipalities × {years} years) in {args.out}")
    return 0


def run(args) -> int:
    from . import report
    from .queries import mix
    from .run import Options, run as run_all

    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    options = Options(args.work, runs=args.runs, budget=args.budget, wrk_seconds=args.wrk_seconds,
                      peers=args.peers or args.work / PEERS)
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    command = "python -m benchmarks " + shlex.join(sys.argv[1:])
    results = run_all(sizes, options, log=lambda message: print(message, file=sys.stderr, flush=True))
    kinds = {q.name: q.kind for q in mix(2)}
    section = report.markdown(results, kinds, report.environment(options.peers), command, date)
    print(section)
    if args.docs:
        report.write_docs(args.docs, section, args.docs_marker)
    return 0


def rerender(args) -> int:
    """The table and targets again from a run's results.json (e.g. after a report fix): same numbers."""
    from . import report
    from .queries import mix

    results = json.loads((args.work / "results.json").read_text(encoding="utf-8"))
    kinds = {q.name: q.kind for q in mix(2)}
    section = report.markdown(results, kinds, report.environment(args.peers or args.work / PEERS),
                              args.command_line, args.date)
    print(section)
    if args.docs:
        report.write_docs(args.docs, section, args.docs_marker)
    return 0


def security(args) -> int:
    """Figures under attack: slow and idle clients, runaway queries (benchmarks/security.py)."""
    from . import security as attacks

    figures = attacks.run(args.output.resolve())
    (args.output_json or Path("/dev/null")).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print(attacks.markdown(figures))
    return 0


def front(args) -> int:
    """The front beside Oxigraph's server, per publication (benchmarks/front.py)."""
    import platform

    from . import front as figures
    from .front_report import markdown

    runs = [figures.run(output.resolve(), args.seconds, log=lambda m: print(m, file=sys.stderr, flush=True))
            for output in args.output]
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    print(markdown(runs, "python -m benchmarks " + shlex.join(sys.argv[1:]), date, machine))
    return 0


def _child(function) -> int:
    payload = json.loads(sys.stdin.read())
    print(json.dumps(function(payload)))
    return 0


def _docs_options(parser) -> None:
    """Where the results go, and which engines' virtualenv the versions are read from."""
    from .report import MARKER

    parser.add_argument("--docs", type=Path, help="also write the results into this Markdown file (between markers)")
    parser.add_argument("--docs-marker", default=MARKER, metavar="NAME",
                        help="write between <!-- NAME:start --> and <!-- NAME:end --> (added at the end if "
                             f"missing), so that another run's section is kept (default: {MARKER})")
    parser.add_argument("--peers", type=Path, help=f"the compared engines' virtualenv (default: WORK/{PEERS})")


def main(argv=None) -> int:
    # On SIGTERM, unwind normally so every server this run started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("setup", help="install wrk, oxigraph and rdflib-endpoint (its own virtualenv)")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p = commands.add_parser("generate", help="write synthetic source folders")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", choices=["10k", "100k", "1m", "10m"])
    p.add_argument("--municipalities", type=int, default=2)
    p.add_argument("--years", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p = commands.add_parser("run", help="generate, build, serve and query; print one table")
    p.add_argument("--sizes", default="10k,100k,1m")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--runs", type=int, default=30, help="latency samples per query and engine (at most)")
    p.add_argument("--budget", type=float, default=10.0, help="seconds per query and engine (at least 3 runs)")
    p.add_argument("--wrk-seconds", type=int, default=10)
    _docs_options(p)
    p = commands.add_parser("report", help="print the table again from WORK/results.json")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--command-line", required=True, help="the command of the run, as it was given")
    p.add_argument("--date", required=True, help="when the run was made")
    _docs_options(p)
    p = commands.add_parser("security", help="figures under attack: slow and idle clients, runaway queries")
    p.add_argument("--output", type=Path, default=ROOT / "output", help="the publication to serve")
    p.add_argument("--json", dest="output_json", type=Path, help="also write the figures here")
    p = commands.add_parser("front", help="the front beside Oxigraph's server: latency, throughput, memory, fairness")
    p.add_argument("--output", type=Path, action="append", required=True, help="a publication (repeatable)")
    p.add_argument("--seconds", type=int, default=8, help="seconds of each wrk run")
    p.add_argument("--json", type=Path, help="also write the figures here")
    commands.add_parser("engine", help=argparse.SUPPRESS)
    commands.add_parser("storage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "engine":
        from .engines import run_bare
        return _child(run_bare)
    if args.command == "storage":
        from .storage import child
        return _child(child)
    return {"setup": setup, "generate": generate, "run": run, "report": rerender, "security": security,
            "front": front}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
