"""SPARQL over the published graph: load output/, refuse what is unsafe, answer.

What a query may ask for is decided in safety.py, from the query's SPARQL
terminals, before any engine sees it: both pyoxigraph and rdflib would otherwise
open connections for SERVICE (measured here) and rdflib reads FROM <file:...>.
`zaisei query` also takes its own process off the network before it runs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zaisei.serving.published import Publication, PublicationError
from zaisei.serving.safety import FORMS, UPDATE_KEYWORDS, Inspection, QueryError, QueryRefused, Token, inspect, query_form, tokens, unescape_codepoints
from zaisei.rdf.store import GraphStore, StoreError

__all__ = ["FORMS", "UPDATE_KEYWORDS", "Inspection", "QueryError", "QueryRefused", "Token", "answer", "examples",
           "inspect", "load_output", "query_form", "run", "tokens", "unescape_codepoints"]
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"


def check(query: str, own_graphs: set[str]) -> None:
    """Raise QueryRefused for updates, SERVICE, or FROM naming a graph not ours."""
    inspect(query, own_graphs)


def load_output(output: Path, snapshots: Path | None = None) -> tuple[GraphStore, list[str]]:
    """The published store (what the pages read: the datasets' graphs, the ontology, the
    catalog and VoID), and its graph names; from a persisted snapshot when given a folder."""
    if not (output / "all.nq.gz").exists():
        raise QueryError(f"{output / 'all.nq.gz'}: not found; run `zaisei build` first", exit_code=2, status=503)
    try:
        publication = Publication(output, snapshots)
    except PublicationError as exc:
        raise QueryError(str(exc), exit_code=2, status=503) from exc
    return publication.store, publication.graphs


def run(store: GraphStore, query: str, graphs: list[str]):
    """Check and run a query over the union of the datasets' graphs (or its own FROM graphs)."""
    found = inspect(query, set(graphs))
    try:
        # pyoxigraph ignores FROM when asked for the union default graph, so ask only without FROM.
        return store.query(query, use_default_graph_as_union=not found.has_dataset)
    except StoreError as exc:
        raise QueryError(str(exc)) from exc


def answer(output: Path, query: str, fmt: str = "table", snapshots: Path | None = None) -> str:
    """A query's answer as text, for the command line: run in this process, taken off the
    network first (engine/sandbox.py), as the server's workers are."""
    from zaisei.serving.engine.sandbox import confine

    store, graphs = load_output(output, snapshots)
    confine()
    result = run(store, query, graphs)
    return store.format(result, fmt)


@dataclass(frozen=True)
class Example:
    """An example question: data/examples/NAME.rq with `# title_ja:` / `# title_en:` headers."""

    name: str
    title_ja: str
    title_en: str
    query: str

    def title(self, lang: str) -> str:
        return self.title_ja if lang == "ja" else self.title_en


def examples(folder: Path = EXAMPLES) -> list[Example]:
    """The example queries, in file-name order; the title lines are not part of the query."""
    found = []
    for path in sorted(folder.glob("*.rq")):
        titles, body = {}, []
        for line in path.read_text(encoding="utf-8").splitlines():
            key, _, value = line.lstrip("# ").partition(":")
            if line.startswith("#") and key in ("title_ja", "title_en") and not body:
                titles[key] = value.strip()
            else:
                body.append(line)
        found.append(Example(path.stem, titles.get("title_ja", path.stem), titles.get("title_en", path.stem),
                             "\n".join(body).strip() + "\n"))
    return found


DOC_START, DOC_END = "<!-- examples:start -->", "<!-- examples:end -->"


def examples_markdown() -> str:
    """The examples section of docs/sparql.md (generated: see update_examples_doc)."""
    parts = []
    for number, example in enumerate(examples(), 1):
        parts.append(f"### {number}. {example.title_en}\n\n{example.title_ja}  \n"
                     f"File: `src/zaisei/data/examples/{example.name}.rq`\n\n```sparql\n{example.query}```\n")
    return "\n".join(parts)


def update_examples_doc(doc: Path) -> None:
    """Rewrite the generated examples section of a Markdown file in place."""
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(DOC_START)
    _, _, tail = rest.partition(DOC_END)
    doc.write_text(f"{head}{DOC_START}\n{examples_markdown()}{DOC_END}{tail}", encoding="utf-8")


if __name__ == "__main__":  # python3 -m zaisei.serving.query docs/sparql.md: regenerate the examples section
    import sys

    update_examples_doc(Path(sys.argv[1]))
