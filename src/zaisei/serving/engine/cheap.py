"""Queries too small to need a worker: answered in the server process, at once.

A query in a worker costs a hop (pickle, two pipes) and, more to the point, a
worker: a client at its per-client cap would wait for its own runaway query to
end before its next small one ran. Some queries provably cannot run long:

    ASK / SELECT [DISTINCT] (* | ?vars) WHERE { one triple pattern } [ORDER BY] [LIMIT] [OFFSET]
    DESCRIBE <iri>

but only if the pattern matches few triples: a bounded probe counts them first
(`COUNT(*)` over the pattern with `LIMIT CHEAP_ROWS + 1`, so the probe itself
stops after that many index steps). At most CHEAP_ROWS matches, the query's cost
is bounded (sorting 10,000 rows takes milliseconds) and it runs here, on the
same code as in a worker (engine.execute: same bytes). Anything else, or any
doubt, goes to a worker, where a timeout can kill it.

The probe is itself a query (half the in-process time of a one-subject look-up),
and some of these shapes need none: an ASK stops at its first match, and a
SELECT without DISTINCT, REDUCED or ORDER BY streams, one match a row, so pulling
at most max_results + 1 rows (what the answer does anyway: more is refused as too
many) bounds its work by max_results index steps; an OFFSET below CHEAP_ROWS adds
at most that many. Those run at once (`streams`), when max_results <= CHEAP_ROWS.
"""

from __future__ import annotations

from typing import NamedTuple

from zaisei.serving.safety import lexemes, unescape_codepoints

CHEAP_ROWS = 10_000
_TERM = {"var", "iri", "pname", "number", "string"}


class Cheap(NamedTuple):
    prologue: str
    pattern: str
    streams: bool   # bounded without a probe: see the module's docstring


def cheap_pattern(query: str) -> Cheap | None:
    """(prologue, triple pattern, streams) of a query of the cheap shapes, as text; None for any other."""
    toks = lexemes(unescape_codepoints(query))
    index = _prologue(toks)
    if index is None:
        return None
    prologue = " ".join(text for _, text in toks[:index])
    pattern = _body(toks, index)
    return None if pattern is None else Cheap(prologue, pattern, _streams(toks, index))


def _streams(toks, index: int) -> bool:
    """ASK, or SELECT with no DISTINCT, REDUCED, ORDER BY, nor an OFFSET of CHEAP_ROWS or more."""
    words = [text.upper() for kind, text in toks[index:] if kind == "word"]
    if words[0] == "ASK":
        return True
    if words[0] != "SELECT" or {"DISTINCT", "REDUCED", "ORDER"} & set(words):
        return False
    offsets = [toks[i + 1][1] for i in range(index, len(toks) - 1) if toks[i][0] == "word"
               and toks[i][1].upper() == "OFFSET"]
    return all(int(offset) < CHEAP_ROWS for offset in offsets)


def probe(prologue: str, pattern: str) -> str:
    """The query that counts the pattern's matches, at most CHEAP_ROWS + 1 (bounded work)."""
    return (f"{prologue} SELECT (COUNT(*) AS ?n) WHERE {{ SELECT * WHERE {{ {pattern} }} "
            f"LIMIT {CHEAP_ROWS + 1} }}")


def _prologue(toks) -> int | None:
    """The index after BASE / PREFIX declarations."""
    index = 0
    while index < len(toks) and toks[index][0] == "word" and toks[index][1].upper() in ("BASE", "PREFIX"):
        step = 2 if toks[index][1].upper() == "BASE" else 3
        if index + step > len(toks) or toks[index + step - 1][0] != "iri":
            return None
        index += step
    return index


def _body(toks, index: int) -> str | None:
    words = [text.upper() if kind == "word" else None for kind, text in toks]
    if index >= len(toks):
        return None
    if words[index] == "DESCRIBE":
        rest = toks[index + 1:]
        return f"{rest[0][1]} ?p ?o" if len(rest) == 1 and rest[0][0] in ("iri", "pname") else None
    if words[index] == "ASK":
        index += 1
    elif words[index] == "SELECT":
        index = _projection(toks, words, index + 1)
        if index is None:
            return None
    else:
        return None
    if index < len(toks) and words[index] == "WHERE":
        index += 1
    return _group(toks, words, index)


def _projection(toks, words, index: int) -> int | None:
    if index < len(toks) and words[index] in ("DISTINCT", "REDUCED"):
        index += 1
    if index < len(toks) and toks[index] == ("punct", "*"):
        return index + 1
    start = index
    while index < len(toks) and toks[index][0] == "var":
        index += 1
    return index if index > start else None


def _group(toks, words, index: int) -> str | None:
    """The single triple pattern of `{ s p o [.] }` followed only by solution modifiers."""
    if index >= len(toks) or toks[index] != ("punct", "{"):
        return None
    end = next((i for i in range(index + 1, len(toks)) if toks[i] == ("punct", "}")), None)
    if end is None:
        return None
    inner = toks[index + 1:end]
    if inner and inner[-1] == ("punct", "."):
        inner = inner[:-1]
    if not _triple(inner) or not _modifiers(toks, words, end + 1):
        return None
    return " ".join(text for _, text in inner)


def _triple(inner) -> bool:
    """subject predicate object: plain terms only (no path, no blank node property list)."""
    terms, index = [], 0
    while index < len(inner):
        kind, text = inner[index]
        if kind == "string" and index + 1 < len(inner) and inner[index + 1][0] == "langtag":
            index += 1
        elif kind == "string" and index + 2 < len(inner) and inner[index + 1] == ("punct", "^^") \
                and inner[index + 2][0] in ("iri", "pname"):
            index += 2
        elif kind == "punct" and text in "+-" and index + 1 < len(inner) and inner[index + 1][0] == "number":
            index += 1
        elif not (kind in _TERM or (kind == "word" and text.upper() in ("TRUE", "FALSE", "A"))):
            return False
        terms.append(kind)
        index += 1
    return len(terms) == 3


def _modifiers(toks, words, index: int) -> bool:
    """Nothing after the group but ORDER BY over variables, LIMIT n and OFFSET n."""
    while index < len(toks):
        if words[index] == "ORDER" and index + 1 < len(toks) and words[index + 1] == "BY":
            index += 2
            start = index
            while index < len(toks) and (toks[index][0] == "var" or words[index] in ("ASC", "DESC")
                                         or toks[index] in (("punct", "("), ("punct", ")"))):
                index += 1
            if index == start:
                return False
        elif words[index] in ("LIMIT", "OFFSET") and index + 1 < len(toks) and toks[index + 1][0] == "number" \
                and toks[index + 1][1].isdigit():
            index += 2
        else:
            return False
    return True
