"""Find every amount, percentage and count expression in a source document.

The document is read line by line (NFKC per line, so character offsets stay on
their line) and searched as one text, because PDF extraction sometimes puts a
number and its unit on different lines ("15" ... "時間").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from zaisei.sources.amounts import AmountError, normalize, parse_percent, parse_yen_expression

_H = r"[ \t\u3000]"  # horizontal space: justified text splits numbers with it
_NUM = r"\d(?:[\d,.]|" + _H + r"(?=[\d,]))*"
_YEN = r"(?:" + _NUM + r"\s*[兆億万千]\s*)*(?:" + _NUM + r")?\s*円"
# Longest first: "日分" before "日", "m2" before "m".
COUNT_UNITS = (
    "人程度", "人", "名", "事業", "台", "時間", "日分", "日", "回目", "回", "頁", "の業務",
    "業務", "か所目", "か所", "番目", "か月", "年間", "階", "学級", "施設", "つ", "m2", "m",
)


def _spaced(unit: str) -> str:
    """A unit whose characters a line break or justification may separate."""
    return r"\s*".join(map(re.escape, unit))


_EXPRESSION = re.compile(
    r"(?P<placeholder>〇+億〇+万円)"
    r"|(?P<yen>(?<![\d,.])[△+-]?約?(?=\d)" + _YEN + r"(?P<per>/kg)?)"
    r"|(?P<percent>(?<![\d,.])[△+-]?約?\d[\d.]*\s*%)"
    r"|(?P<count>(?<![\d,.])約?" + _NUM + r"\s*(?P<unit>" + "|".join(map(_spaced, COUNT_UNITS)) + r"))"
    r"|(?P<chart>(?<![\d,.])" + _NUM + r"(?P<arrow>[↑↓]))"
)
# Section numbers, pillar headers, and initiative titles that end in their amount.
_HEADING = re.compile(r"^\s*(?:[0-9]\s+\D|取\s*組\s*[0-9]|【|\S.*取組\s*$|\D{4,}\s+[\d,\s億]+万\s*円\s*$)")


@dataclass(frozen=True)
class Expression:
    """One figure as written in the document, with where it stands."""

    line: int  # 1-based line of its first character
    line_end: int
    start: int  # offsets in the normalised document text
    end: int
    text: str  # normalised text of the expression
    kind: str  # yen | rate | percent | count | chart | placeholder
    unit: str
    value: int | Decimal | None
    approximate: bool = False

    @property
    def lines(self) -> str:
        """"12" or "870-872", as tables write line references."""
        return str(self.line) if self.line == self.line_end else f"{self.line}-{self.line_end}"


class Document:
    """A source text, normalised per line, with offset-to-line lookup."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.raw_lines = self.path.read_text(encoding="utf-8").split("\n")
        self.lines = [normalize_line(line) for line in self.raw_lines]
        self.text = "\n".join(self.lines)
        self._starts = [0]
        for line in self.lines:
            self._starts.append(self._starts[-1] + len(line) + 1)

    def line_of(self, offset: int) -> int:
        """1-based line number holding the character at offset."""
        lo, hi = 0, len(self.lines)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._starts[mid + 1] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo + 1

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets covering lines first..last (1-based, inclusive)."""
        return self._starts[first - 1], self._starts[last] - 1

    def heading_before(self, line: int) -> str:
        """The nearest heading-like line at or above line, for curators."""
        for number in range(line, 0, -1):
            text = self.lines[number - 1].strip()
            if text and _HEADING.match(text):
                return re.sub(r"\s+", " ", text)
        return ""


def normalize_line(line: str) -> str:
    """NFKC without stripping, so offsets inside a line stay meaningful."""
    return normalize(line + "|")[:-1] if line.strip() else line


def _value(kind: str, text: str) -> tuple[int | Decimal | None, bool]:
    approximate = "約" in text or text.endswith("程度")
    if kind in ("yen", "rate"):
        return parse_yen_expression(text.removesuffix("/kg")).value, approximate
    if kind == "percent":
        return parse_percent(text.replace("約", "")), approximate
    if kind in ("count", "chart"):
        digits = re.sub(r"[^\d.]", "", re.match(r"約?([\d,.\s]+)", text)[1])
        return Decimal(digits), approximate
    return None, False


def _unit(match: re.Match) -> str:
    if match["yen"]:
        return "円/kg" if match["per"] else "円"
    if match["percent"]:
        return "%"
    if match["count"]:
        return re.sub(r"\s+", "", match["unit"]).removeprefix("の").removesuffix("程度")
    return match["arrow"] or ""


def scan(document: Document) -> list[Expression]:
    """Every figure expression in the document, in reading order."""
    found = []
    for match in _EXPRESSION.finditer(document.text):
        kind = next(k for k in ("placeholder", "yen", "percent", "count", "chart") if match[k])
        text = re.sub(r"\s+", " ", match[0]).strip()
        kind = "rate" if kind == "yen" and match["per"] else kind
        try:
            value, approximate = _value(kind, text)
        except AmountError:
            value, approximate, kind = None, False, "malformed"
        start, end = match.span()
        found.append(Expression(document.line_of(start), document.line_of(end - 1), start, end,
                                text, kind, _unit(match), value, approximate))
    return found
