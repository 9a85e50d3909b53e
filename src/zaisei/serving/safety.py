"""What a SPARQL query asks for, decided before any engine sees it.

The query is split into the terminals of the SPARQL 1.1 grammar (section 19.8):
IRIs, strings, variables, prefixed names, numbers, language tags, keywords and
punctuation. The split follows the grammar's character classes exactly, so
`?o.SERVICE` is the variable `?o`, a dot and the keyword SERVICE, as every
SPARQL parser reads it (a looser word pattern once read it as one variable and
let SERVICE through). tests/test_sparql_lexer.py holds this to pyoxigraph's own
parser on generated queries.

Where the parser reads more than the grammar says, the check reads more too:
pyoxigraph takes `SERVICEex:x` and `trueSERVICE<x>` for SERVICE next to another
token (it checks no word boundary around a keyword), so a word or a prefix that
holds SERVICE or FROM counts as that keyword (see keyword()). Every bare word must be a SPARQL
keyword: a dialect's extension (Virtuoso's DEFINE pragmas fetch URLs) is refused
before it reaches a remote engine. Codepoint escapes (\\u0053ERVICE) are decoded
first, as the grammar says parsers do.

This is the first defence; the second is that the query workers cannot open a
network socket at all (engine/sandbox.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


class QueryError(Exception):
    """A query that cannot be answered; exit_code 2 for refusals and syntax errors."""

    def __init__(self, message: str, exit_code: int = 2, status: int = 400):
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status


class QueryRefused(QueryError):
    """A query asking for something this read-only, offline endpoint never does."""


# --- the grammar's terminals ----------------------------------------------------------------

_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_VARNAME = f"[{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*"
_EXPONENT = "[eE][+-]?[0-9]+"
_TERMINALS = [
    ("comment", r"\#[^\n\r]*"),
    ("space", r"[ \t\r\n]+"),
    ("iri", r'<[^<>"{}|^`\\\x00-\x20]*>'),
    ("string", r'"""(?:(?:"|"")?(?:[^"\\]|\\[tbnrf\\"\']))*"""'
               r"|'''(?:(?:'|'')?(?:[^'\\]|\\[tbnrf\\\"']))*'''"
               r'|"(?:[^"\\\n\r]|\\[tbnrf\\"\'])*"'
               r"|'(?:[^'\\\n\r]|\\[tbnrf\\\"'])*'"),
    ("var", f"[?$]{_VARNAME}"),
    ("bnode", f"_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?"),
    ("pname", f"(?:{_PREFIX})?:(?:{_LOCAL})?"),
    ("number", f"[0-9]+\\.[0-9]*{_EXPONENT}|\\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}|[0-9]*\\.[0-9]+|[0-9]+"),
    ("langtag", "@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*"),
    ("word", "[A-Za-z][A-Za-z0-9_]*"),
    ("punct", r"\^\^|\|\||&&|!=|<=|>=|<<|>>|\{\||\|\}|\S"),
]
_LEXER = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _TERMINALS))
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# Every keyword and built-in function of SPARQL 1.1 and 1.2 that pyoxigraph reads (ADJUST and
# LATERAL are its extensions); the update keywords are refused with their own message.
KEYWORDS = frozenset("""
BASE PREFIX VERSION SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE ORDER BY ASC DESC
LIMIT OFFSET VALUES GROUP HAVING UNDEF OPTIONAL GRAPH SERVICE SILENT BIND MINUS UNION FILTER NOT IN EXISTS
LATERAL A TRUE FALSE STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT
STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS
MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT
SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE
GROUP_CONCAT SEPARATOR TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR HASLANG HASLANGDIR STRLANGDIR
ADJUST""".split())
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                             "WITH"})
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_HIDING = ("SERVICE", "FROM", *sorted(UPDATE_KEYWORDS))   # refused keywords a longer word may hide
# Names pyoxigraph may split into this keyword and a name (see keyword()).
_GLUED = ("SERVICE", "FROM")
OPENING, CLOSING, UNARY = frozenset("{([") | {"<<", "{|"}, frozenset("})]") | {">>", "|}"}, frozenset("!-+^")
MAX_NESTING = 200   # brackets and unary operators inside one another; real queries stay far below


@dataclass(frozen=True)
class Token:
    kind: str   # iri, string, var, bnode, pname, number, langtag, word, punct
    text: str


def unescape_codepoints(query: str) -> str:
    """The query with \\uXXXX and \\UXXXXXXXX decoded, as a SPARQL parser sees it."""
    def decode(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return _CODEPOINT.sub(decode, query) if "\\" in query else query


def tokens(query: str) -> list[Token]:
    """The query's terminals, comments and white space dropped (escapes already decoded)."""
    return [Token(kind, text) for kind, text in lexemes(query)]


def lexemes(query: str) -> list[tuple[str, str]]:
    """tokens() as (kind, text) tuples: a frozen Token costs ~1 us each, a tuple ~0.1 us."""
    found = []
    for match in _LEXER.finditer(query):
        kind = match.lastgroup
        if kind not in ("comment", "space"):
            found.append((kind, match.group()))
    return found


def keyword(kind: str, text: str) -> str | None:
    """The keyword a token is (upper case), or None.

    pyoxigraph's parser checks no word boundary around keywords: it reads `trueSERVICE<x>` as
    true SERVICE <x>, and `SERVICEex:x` as SERVICE ex:x. So a word that is no keyword but holds
    a refused one counts as that one, as does a prefixed name whose prefix holds SERVICE or FROM
    (and a language tag holding SERVICE)."""
    if kind == "word":
        upper = text.upper()
        if upper in KEYWORDS:
            return upper
        return next((hidden for hidden in _HIDING if hidden in upper), upper)
    if kind == "pname":
        prefix = text.partition(":")[0].upper()
        return next((glued for glued in _GLUED if glued in prefix), None)
    if kind == "langtag" and "SERVICE" in text.upper():
        return "SERVICE"
    return None


@dataclass(frozen=True)
class Inspection:
    """What the endpoint needs to know before running a query."""

    form: str | None      # SELECT, ASK, CONSTRUCT, DESCRIBE; None if unrecognisable
    has_dataset: bool     # FROM / FROM NAMED present: the query picks its own graphs


# A query whose upper-cased text holds none of these has no token to refuse or look into
# (a keyword token is a substring of the query): only its form and nesting are left to find.
SUSPECT = (*UPDATE_KEYWORDS, *_GLUED)
CACHED = 512    # inspections kept, for queries up to CACHED_LENGTH characters (~10 MB at most)
CACHED_LENGTH = 4096


def inspect(query: str, own_graphs: set[str] | frozenset[str], strict: bool = False) -> Inspection:
    """Refuse updates, SERVICE, nesting past MAX_NESTING and FROM naming a graph not ours (and,
    when strict, any word that is no SPARQL keyword: for engines whose dialect has pragmas);
    else the query's form. Answers are cached by text and graphs (refusals are not: they raise
    again each time). Pass a frozenset to spare a copy."""
    graphs = own_graphs if isinstance(own_graphs, frozenset) else frozenset(own_graphs)
    if len(query) > CACHED_LENGTH:
        return _inspect(query, graphs, strict)
    return _inspect_cached(query, graphs, strict)


def _inspect(query: str, own_graphs: frozenset[str], strict: bool) -> Inspection:
    text = unescape_codepoints(query)
    if not strict and _plainly_harmless(text):
        return Inspection(_first_form(text), False)
    toks = lexemes(text)
    check_nesting(toks)
    form, has_dataset = None, False
    for index, (kind, token) in enumerate(toks):
        word = keyword(kind, token)
        if word is None:
            continue
        _refuse_keyword(word, token, strict)
        if word == "FROM":
            _check_from(toks, index, own_graphs)
            has_dataset = True
        elif form is None and word in FORMS:
            form = word
    return Inspection(form, has_dataset)


_inspect_cached = functools.lru_cache(maxsize=CACHED)(_inspect)


def _plainly_harmless(text: str) -> bool:
    """True when no token can be refused: no suspect keyword anywhere in the text (a keyword
    token is a substring of it, and str.upper() maps character by character) and too few
    brackets and operators to nest too deep. Most queries; they skip the full lexer."""
    upper = text.upper()
    return not any(word in upper for word in SUSPECT) and sum(map(text.count, "{([<!-+^")) <= MAX_NESTING


def _first_form(text: str) -> str | None:
    """The first SELECT/ASK/CONSTRUCT/DESCRIBE keyword, lexing no further than it."""
    for match in _LEXER.finditer(text):
        if match.lastgroup == "word" and match.group().upper() in FORMS:
            return match.group().upper()
    return None


def _refuse_keyword(word: str, text: str, strict: bool) -> None:
    if word == "SERVICE":
        raise QueryRefused("SERVICE is refused: this endpoint never makes outbound requests")
    if word in UPDATE_KEYWORDS:
        raise QueryRefused(f"this endpoint is read-only: {word} is refused", status=400)
    if strict and word not in KEYWORDS:
        raise QueryRefused(f"{text!r} is not a SPARQL keyword; this endpoint accepts standard SPARQL only")


def _check_from(toks: list[tuple[str, str]], index: int, own_graphs: frozenset[str]) -> None:
    following = toks[index + 1: index + 3]
    if toks[index][0] != "word":
        following = []   # a name glued to FROM: no full IRI follows
    target = next((text for kind, text in following if kind == "iri"), None)
    if target is None or (following[0][0] != "iri" and following[0][1].upper() != "NAMED"):
        raise QueryRefused("FROM must name one of this endpoint's graphs with a full IRI")
    iri = target[1:-1]
    if iri not in own_graphs:
        raise QueryRefused(f"FROM <{iri}> is refused: only this endpoint's own graphs can be named "
                           f"({', '.join(sorted(own_graphs)) or 'none'})")


def check_nesting(toks: list[tuple[str, str]]) -> None:
    """Refuse queries nested deeper than MAX_NESTING: pyoxigraph's parser recurses on every
    bracket and unary operator and overflows its stack at a few thousand levels (the worker
    dies: `FILTER(!!!...true)`); other engines too. A run of unary operators counts one level
    each, on top of the brackets around it."""
    depth = deepest = run = 0
    for kind, text in toks:
        if kind != "punct":
            run = 0
            continue
        if text in OPENING:
            depth += 1
        elif text in CLOSING:
            depth -= 1
        run = run + 1 if text in UNARY else 0
        deepest = max(deepest, depth + run)
    if deepest > MAX_NESTING:
        raise QueryRefused(f"the query nests {deepest} brackets deep; this endpoint accepts at most "
                           f"{MAX_NESTING} (each unary operator in a run counts as one more)")


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (the first such keyword)."""
    for kind, text in lexemes(unescape_codepoints(query)):
        if kind == "word" and text.upper() in FORMS:
            return text.upper()
    raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
