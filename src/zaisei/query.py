"""SPARQL over the published graph: load output/, refuse what is unsafe, answer.

The checks run on the query text before any engine sees it, because both
pyoxigraph and rdflib would otherwise open connections for SERVICE (measured
here) and rdflib reads FROM <file:...>. The lexer skips strings, IRIs and
comments, so a keyword inside a literal is not mistaken for an operation.
Codepoint escapes (\\u0053ERVICE) are decoded first, as SPARQL 1.1 section 19.2
says parsers do (Jena does; a remote engine behind us may), so they cannot
smuggle a keyword past the check.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .publication import Publication, PublicationError
from .store import GraphStore, StoreError

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_TOKEN = re.compile(
    r'(?P<comment>\#[^\n]*)'
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r'|(?P<word>[?$]?[A-Za-z_][\w\-.]*(?::[\w\-.]*)?|:[\w\-.]*)'
    r'|(?P<other>\S)', re.DOTALL)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
EXAMPLES = Path(__file__).resolve().parent / "data" / "examples"


class QueryError(Exception):
    """A query that cannot be answered; exit_code 2 for refusals and syntax errors."""

    def __init__(self, message: str, exit_code: int = 2, status: int = 400):
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status


class QueryRefused(QueryError):
    """A query asking for something this read-only, offline endpoint never does."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokens(query: str) -> list[Token]:
    """The query's tokens, comments dropped."""
    return [Token(kind, text) for kind, text in _lexemes(query)]


def _lexemes(query: str) -> list[tuple[str, str]]:
    """(kind, text) of tokens() as plain tuples: a frozen Token per token costs ~1 us, a tuple ~0.1 us."""
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(query) if m.lastgroup != "comment"]


def _keywords(toks: list[tuple[str, str]]):
    for index, (kind, text) in enumerate(toks):
        if kind == "word" and text[0] not in "?$" and ":" not in text:
            yield index, text.upper()


def unescape_codepoints(query: str) -> str:
    """The query with \\uXXXX and \\UXXXXXXXX decoded, as a SPARQL parser sees it."""
    def decode(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return _CODEPOINT.sub(decode, query) if "\\" in query else query


@dataclass(frozen=True)
class Inspection:
    """What the endpoint needs to know before running a query."""

    form: str | None      # SELECT, ASK, CONSTRUCT, DESCRIBE; None if unrecognisable
    has_dataset: bool     # FROM / FROM NAMED present: the query picks its own graphs


# Every keyword inspect() refuses or looks into. A keyword token is a substring of the
# query, and str.upper() maps character by character, so a query whose upper-cased text
# contains none of these has no such token: only its form is left to find.
SUSPECT = (*UPDATE_KEYWORDS, "SERVICE", "FROM")
CACHED = 512    # inspections kept, for queries up to CACHED_LENGTH characters (~10 MB at most)
CACHED_LENGTH = 4096


def inspect(query: str, own_graphs: set[str] | frozenset[str]) -> Inspection:
    """Refuse updates, SERVICE and FROM naming a graph not ours; else the query's form.

    Clients repeat the same few query texts, so answers are cached by text and graphs
    (refusals are not: they raise again each time). Pass a frozenset to spare a copy."""
    graphs = own_graphs if isinstance(own_graphs, frozenset) else frozenset(own_graphs)
    if len(query) > CACHED_LENGTH:
        return _inspect(query, graphs)
    return _inspect_cached(query, graphs)


def _inspect(query: str, own_graphs: frozenset[str]) -> Inspection:
    text = unescape_codepoints(query)
    upper = text.upper()
    if not any(keyword in upper for keyword in SUSPECT):
        return Inspection(_first_form(text), False)
    toks = _lexemes(text)
    form, has_dataset = None, False
    for index, keyword in _keywords(toks):
        if keyword in UPDATE_KEYWORDS and not _is_function_call(toks, index):
            raise QueryRefused(f"this endpoint is read-only: {keyword} is refused", status=400)
        if keyword == "SERVICE":
            raise QueryRefused("SERVICE is refused: this endpoint never makes outbound requests")
        if keyword == "FROM":
            _check_from(toks, index, own_graphs)
            has_dataset = True
        if form is None and keyword in FORMS:
            form = keyword
    return Inspection(form, has_dataset)


_inspect_cached = functools.lru_cache(maxsize=CACHED)(_inspect)


def _first_form(text: str) -> str | None:
    """The first SELECT/ASK/CONSTRUCT/DESCRIBE keyword token, lexing no further than it."""
    for match in _TOKEN.finditer(text):
        word = match.group()
        if match.lastgroup == "word" and word[0] not in "?$" and ":" not in word and word.upper() in FORMS:
            return word.upper()
    return None


def check(query: str, own_graphs: set[str]) -> None:
    """Raise QueryRefused for updates, SERVICE, or FROM naming a graph not ours."""
    inspect(query, own_graphs)


def _is_function_call(toks: list[tuple[str, str]], index: int) -> bool:
    return index + 1 < len(toks) and toks[index + 1][1] == "("


def _check_from(toks: list[tuple[str, str]], index: int, own_graphs: frozenset[str]) -> None:
    following = toks[index + 1: index + 3]
    target = next((text for kind, text in following if kind == "iri"), None)
    if target is None:
        raise QueryRefused("FROM must name one of this endpoint's graphs with a full IRI")
    iri = target[1:-1]
    if iri not in own_graphs:
        raise QueryRefused(f"FROM <{iri}> is refused: only this endpoint's own graphs can be named "
                           f"({', '.join(sorted(own_graphs)) or 'none'})")


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (the first such keyword)."""
    for _, keyword in _keywords(_lexemes(unescape_codepoints(query))):
        if keyword in FORMS:
            return keyword
    raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


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
    """A query's answer as text, for the command line."""
    store, graphs = load_output(output, snapshots)
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


if __name__ == "__main__":  # python3 -m zaisei.query docs/sparql.md: regenerate the examples section
    import sys

    update_examples_doc(Path(sys.argv[1]))
