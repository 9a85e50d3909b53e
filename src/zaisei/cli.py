"""The `zaisei` command: a thin wrapper that prints what the library reports.

Exit codes: 0 ok, 1 the data does not conform, 2 cannot load / bad config.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from zaisei.graph import mapping
from zaisei import sources
from zaisei.sources.reconcile import reconcile as run_reconcile
from zaisei.sources.scan import Document, scan as run_scan
from zaisei.rdf.formats import of_kind
from zaisei.settings import DEFAULTS, SETTINGS, help_for, option


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
    if report.kind == sources.CITED:
        click.echo(f"{report.dataset}: {report.expressions} figures transcribed from {report.tables} cited "
                   f"table(s), {report.waived} row(s) omitted with a reason; "
                   f"arithmetic checks {passed}/{len(report.checks)} passed")
    else:
        click.echo(f"{report.dataset}: {report.expressions} figures in the document: "
                   f"{report.used} used by table rows, {report.waived} waived, "
                   f"{report.expressions - report.used - report.waived} unaccounted; "
                   f"arithmetic checks {passed}/{len(report.checks)} passed")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("dataset", required=False)
@click.option("--data", "files", multiple=True, type=click.Path(path_type=Path),
              help="Validate these graph files (any RDF syntax, by suffix) instead of a dataset.")
@click.option("--sources", "root", default=DEFAULTS["sources"], help=help_for("sources"))
@click.option("--base", default=DEFAULTS["base"], help=help_for("base"))
@click.option("--report", type=click.Path(path_type=Path),
              help="Also write the sh:ValidationReport (Turtle) here; `zaisei build` publishes it in output/.")
@click.option("--lang", type=click.Choice(["en", "ja"]), default="en", help="Language of the readable report.")
def validate(dataset, files, root, base, report, lang):
    """Validate DATASET (mapped from its sources) or graph FILES with the SHACL shapes."""
    from zaisei.graph.iris import mint
    from zaisei.validation import shacl

    if bool(dataset) == bool(files):
        raise click.UsageError("give a DATASET or --data FILE..., not both")
    from zaisei.publication.project import Project

    base = base or Project().base
    try:
        graph = shacl.load_graph(list(files)) if files else _mapped_graph(dataset, root, base)
    except (shacl.GraphLoadError, mapping.MappingError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    result = shacl.validate(graph)
    click.echo(result.text(lang), nl=False)
    if report:
        name = dataset or Path(files[0]).stem
        report.write_bytes(result.graph(mint(base, "dataset", dataset=name)).serialize(format="turtle", encoding="utf-8"))
    sys.exit(0 if result.conforms else 1)


def _mapped_graph(name: str, root: str, base: str):
    from zaisei.publication.project import Project
    from zaisei.validation.shacl import rdflib_graph

    return rdflib_graph(mapping.run(_load(name, root), Project().mappings, base))


def _project(output: str, base: str, root: str, reuse: bool = True):
    from zaisei.publication.project import Project

    return Project(sources=Path(root), output=Path(output), base=base, reuse=reuse)


def _open_store(output: str, store: str) -> Path | None:
    """Make (or check) the persisted store of the output; exit 2 when that fails."""
    from zaisei.serving.published import Publication, PublicationError

    try:
        publication = Publication(Path(output), Path(store))
    except PublicationError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    return publication.snapshot


@main.command()
@click.argument("datasets", nargs=-1)
@click.option("--sources", "root", default=DEFAULTS["sources"], help=help_for("sources"))
@click.option("--output", default=DEFAULTS["output"], help=help_for("output"))
@click.option("--base", default=DEFAULTS["base"], help=help_for("base"))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary: counts, timings, checksums.")
@click.option("--rebuild", is_flag=True, help="Rebuild every dataset, even those whose inputs did not change "
              "(the code is not part of the inputs: use after upgrading zaisei).")
@click.option("--store", default=None, metavar="FOLDER", help="Also make the persisted store of the new output "
              "in FOLDER, so `zaisei serve --store FOLDER` starts at once. " + help_for("store"))
def build(datasets, root, output, base, quiet, as_json, rebuild, store):
    """Reconcile, map, validate and publish DATASETS (default: all) to the output folder."""
    from zaisei.publication.build import build as run_build
    from zaisei.publication.project import BuildError

    progress = None if quiet or as_json else (lambda message: click.echo(f"  {message}"))
    try:
        result = run_build(_project(output, base, root, reuse=not rebuild), list(datasets) or None, progress)
    except BuildError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"build failed; {output}/ was left as it was", err=True)
        sys.exit(exc.exit_code)
    if as_json:
        click.echo(json.dumps(result.summary(), ensure_ascii=False, indent=1))
    elif not quiet:
        for key, reason in result.held.items():
            click.echo(f"  {key}: reconciled, not published ({reason})")
        triples = sum(len(d.triples) for d in result.datasets)
        click.echo(f"published {len(result.datasets)} dataset(s), {triples} triples, "
                   f"{len(result.files)} files to {output}/")
    if store:
        snapshot = _open_store(output, store)
        if not quiet and not as_json:
            click.echo(f"persisted store: {snapshot}")


@main.command()
@click.argument("sparql")
@click.option("--output", default=DEFAULTS["output"], help=help_for("output"))
@click.option("--format", "fmt", type=click.Choice(["table", *(f.name for f in of_kind("results")), "turtle", "ntriples"]),
              default="table", help="Result format.")
@click.option("--store", default=None, metavar="FOLDER", help=help_for("store"))
def query(sparql, output, fmt, store):
    """Answer a SPARQL query against the built graph in the output folder."""
    from zaisei.serving.query import QueryError, answer

    try:
        click.echo(answer(Path(output), sparql, fmt, store and Path(store)), nl=False)
    except QueryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


def _server_options(command):
    """One option per setting `zaisei serve` takes, from SETTINGS (help and defaults included)."""
    for setting in reversed([s for s in SETTINGS if s.server]):
        kind = None if setting.default is None or isinstance(setting.default, bool) else type(setting.default)
        command = click.option(option(setting.name), setting.name, default=setting.default, type=kind,
                               metavar=setting.metavar, help=help_for(setting.name))(command)
    return command


@main.command()
@_server_options
def serve(**settings):
    """Serve the published output: Linked Data pages, downloads and SPARQL (granian)."""
    from zaisei.serving.published import PublicationError
    from zaisei.serving.server import ServeError, serve as run_server

    try:
        run_server(settings, started=lambda url: click.echo(f"serving {settings['output']}/ at {url}/ "
                                                            f"(Ctrl-C to stop)"))
    except (ServeError, PublicationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


# --- publish: the build into a SPARQL 1.1 Graph Store (remote mode) -------------------------


@main.command()
@click.option("--graph-store", required=True, metavar="URL",
              help="SPARQL 1.1 Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store (Oxigraph).")
@click.option("--output", default=DEFAULTS["output"], help=help_for("output"))
def publish(graph_store, output):
    """PUT each dataset's graph of the build into a graph store, replacing the graph there."""
    from zaisei.serving.engine import EngineFailure, publish as run_publish

    try:
        done = run_publish(Path(output), graph_store)
    except (EngineFailure, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for graph, triples, status in done:
        click.echo(f"{graph}\t{triples} triples\tHTTP {status}")


if __name__ == "__main__":  # pragma: no cover
    main()
