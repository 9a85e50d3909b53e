"""The `zaisei` command: a thin wrapper that prints what the library reports.

Exit codes: 0 ok, 1 the data does not conform, 2 cannot load / bad config.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import sources
from .reconcile import reconcile as run_reconcile
from .scan import Document, scan as run_scan
from .settings import DEFAULTS, help_for


def _load(name: str, root: str):
    try:
        return sources.load(sources.find(name, root))
    except sources.SourceError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)


@click.group()
@click.version_option(package_name="zaisei")
def main():
    """Publish Japanese municipal budget documents as Linked Open Data."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def scan(file: Path):
    """Print every amount, percentage and count expression in FILE with its line."""
    document = Document(file)
    for expression in run_scan(document):
        click.echo(f"{file}:{expression.lines}\t{expression.kind}\t{expression.text}\t"
                   f"{expression.value}\t{document.heading_before(expression.line)}")


@main.command()
@click.argument("dataset")
@click.option("--sources", "root", default=DEFAULTS["sources"], help=help_for("sources"))
@click.option("--verbose", "-v", is_flag=True, help="Also list every arithmetic check.")
def reconcile(dataset: str, root: str, verbose: bool):
    """Check DATASET's tables against its document: quotes, coverage, arithmetic."""
    report = run_reconcile(_load(dataset, root))
    for finding in report.findings:
        click.echo(str(finding), err=True)
    if verbose:
        for label, passed in report.checks:
            click.echo(f"  {'ok  ' if passed else 'FAIL'} {label}")
    passed = sum(ok for _, ok in report.checks)
    click.echo(f"{report.dataset}: {report.expressions} figures in the document: "
               f"{report.used} used by table rows, {report.waived} waived, "
               f"{report.expressions - report.used - report.waived} unaccounted; "
               f"arithmetic checks {passed}/{len(report.checks)} passed")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
