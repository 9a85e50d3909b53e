"""SPARQL over the published graph: load output/, refuse what is unsafe, answer.

The checks run on the query text before any engine sees it, because both
pyoxigraph and rdflib would otherwise open connections for SERVICE (measured
here) and rdflib reads FROM <file:...>. The lexer skips strings, IRIs and
comments, so a keyword inside a literal is not mistaken for an operation.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from .store import GraphStore, StoreError

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_TOKEN = re.compile(
    r'(?P<comment>\#[^\n]*)'
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r'|(?P<word>[?$]?[A-Za-z_][\w\-.]*(?::[\w\-.]*)?|:[\w\-.]*)'
    r'|(?P<other>\S)', re.DOTALL)


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
    found = [Token(m.lastgroup, m.group()) for m in _TOKEN.finditer(query)]
    return [t for t in found if t.kind != "comment"]


def _keywords(toks: list[Token]):
    for index, token in enumerate(toks):
        if token.kind == "word" and token.text[0] not in "?$" and ":" not in token.text:
            yield index, token.text.upper()


def check(query: str, own_graphs: set[str]) -> None:
    """Raise QueryRefused for updates, SERVICE, or FROM naming a graph not ours."""
    toks = tokens(query)
    for index, keyword in _keywords(toks):
        if keyword in UPDATE_KEYWORDS and not _is_function_call(toks, index):
            raise QueryRefused(f"this endpoint is read-only: {keyword} is refused", status=400)
        if keyword == "SERVICE":
            raise QueryRefused("SERVICE is refused: this endpoint never makes outbound requests")
        if keyword == "FROM":
            _check_from(toks, index, own_graphs)


def _is_function_call(toks: list[Token], index: int) -> bool:
    return index + 1 < len(toks) and toks[index + 1].text == "("


def _check_from(toks: list[Token], index: int, own_graphs: set[str]) -> None:
    following = toks[index + 1: index + 3]
    target = next((t for t in following if t.kind == "iri"), None)
    if target is None:
        raise QueryRefused("FROM must name one of this endpoint's graphs with a full IRI")
    iri = target.text[1:-1]
    if iri not in own_graphs:
        raise QueryRefused(f"FROM <{iri}> is refused: only this endpoint's own graphs can be named "
                           f"({', '.join(sorted(own_graphs)) or 'none'})")


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (the first such keyword)."""
    for _, keyword in _keywords(tokens(query)):
        if keyword in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return keyword
    raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def load_output(output: Path) -> tuple[GraphStore, list[str]]:
    """The published union (output/all.nq.gz) in memory, and its graph names."""
    dump = output / "all.nq.gz"
    if not dump.exists():
        raise QueryError(f"{dump}: not found; run `zaisei build` first", exit_code=2, status=503)
    store = GraphStore()
    try:
        store.load_bytes(gzip.decompress(dump.read_bytes()), "nquads")
    except (OSError, EOFError, StoreError) as exc:
        raise QueryError(f"{dump}: corrupt ({exc})", exit_code=2, status=503) from exc
    return store, store.graph_names()


def run(store: GraphStore, query: str, graphs: list[str]):
    """Check and run a query over the union of the datasets' graphs."""
    check(query, set(graphs))
    try:
        return store.query(query, use_default_graph_as_union=True)
    except StoreError as exc:
        raise QueryError(str(exc)) from exc


def answer(output: Path, query: str, fmt: str = "table") -> str:
    """A query's answer as text, for the command line."""
    store, graphs = load_output(output)
    result = run(store, query, graphs)
    return store.format(result, fmt)
