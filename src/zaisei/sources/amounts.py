"""Japanese amount expressions: parse them to exact numbers, format yen the city's way.

The city writes money as "2,083億9,174万９千円", negatives with "△", and
justified PDF text may break an expression with spaces ("６ 億 3, 4 9 4 万 円").
Parsing is exact: yen become ``int``, percentages become ``Decimal``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Kangxi radicals and CJK compatibility forms that NFKC already folds are
# covered by normalize(); these are look-alikes it leaves alone.
_LOOKALIKES = str.maketrans({"－": "-", "−": "-", "▲": "△", "，": ",", "．": "."})
_NEGATIVE = "△"
_YEN_UNITS = (("兆", 10**12), ("億", 10**8), ("万", 10**4), ("千", 10**3))
_NUMBER = r"\d(?:[\d,.\s]*\d)?"
_YEN_RE = re.compile(
    r"^(?P<sign>[△+-]?)(?P<approx>約?)(?P<body>(?:" + _NUMBER + r"\s*[兆億万千]\s*)*(?:" + _NUMBER + r")?)\s*円$"
)
_PERCENT_RE = re.compile(r"^(?P<sign>[△+-]?)(?P<approx>約?)(?P<number>" + _NUMBER + r")\s*%$")
_PART_RE = re.compile(r"(" + _NUMBER + r")\s*([兆億万千]?)")


class AmountError(ValueError):
    """An expression that is not a well-formed amount; the message quotes it."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"cannot parse amount {text!r}: {reason}")
        self.text = text
        self.reason = reason


def normalize(text: str) -> str:
    """NFKC plus the look-alikes NFKC keeps (full-width minus, ▲)."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES).strip()


def squeeze(text: str) -> str:
    """Normalised text with all whitespace removed (PDF justification adds spaces)."""
    return re.sub(r"\s+", "", normalize(text))


def _number(text: str, original: str) -> Decimal:
    digits = re.sub(r"\s+", "", text)
    if not re.fullmatch(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?", digits):
        raise AmountError(original, f"malformed number {digits!r}")
    try:
        return Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise AmountError(original, str(exc)) from exc


@dataclass(frozen=True)
class Parsed:
    """A parsed expression: its value, whether the city wrote 約 (approximately)."""

    value: int | Decimal
    approximate: bool = False


def parse_yen_expression(text: str) -> Parsed:
    """Parse "△３億1,330万円", "約5千円"... into exact yen, keeping the 約 flag."""
    match = _YEN_RE.match(normalize(text))
    if not match or not re.search(r"\d", match["body"]):
        raise AmountError(text, "not a yen amount (digits with 兆/億/万/千 and 円)")
    total, last_scale = Decimal(0), None
    for number, unit in _PART_RE.findall(match["body"]):
        scale = dict(_YEN_UNITS).get(unit, 1)
        if last_scale is not None and scale >= last_scale:
            raise AmountError(text, f"unit {unit or '円'} out of order")
        last_scale = scale
        total += _number(number, text) * scale
    if total != total.to_integral_value():
        raise AmountError(text, "fraction of a yen")
    value = -int(total) if match["sign"] in (_NEGATIVE, "-") else int(total)
    return Parsed(value, bool(match["approx"]))


def parse_yen(text: str) -> int:
    """Parse a yen expression such as "2,083億9,174万９千円" to an exact integer."""
    return parse_yen_expression(text).value


def parse_percent(text: str) -> Decimal:
    """Parse "30.4％" or "△6.9％" to a Decimal percentage (not a fraction)."""
    match = _PERCENT_RE.match(normalize(text))
    if not match:
        raise AmountError(text, "not a percentage (digits followed by ％)")
    value = _number(match["number"], text)
    return -value if match["sign"] in (_NEGATIVE, "-") else value


# The units a cited table states for its amounts, as yen per printed unit. "as printed": every
# cell writes its own units (1,183億7,461万円, 4,775万1千円) and is read like the city's text.
AS_PRINTED = "as printed"
TABLE_UNITS = {"円": 1, "千円": 1_000, "百万円": 1_000_000, AS_PRINTED: None}
_PERCENT_SIGNS = ("パーセント", "%")


def _signed(text: str) -> tuple[bool, str]:
    """(negative, rest) of a squeezed cell: △, ▲ and minus signs mark a decrease."""
    squeezed = squeeze(text)
    if squeezed[:1] in (_NEGATIVE, "-"):
        return True, squeezed[1:]
    return False, squeezed.removeprefix("+")


def parse_table_amount(text: str, unit: str) -> int:
    """A cell of a cited table in exact yen: "△12,952,427" in a 千円 table -> -12952427000.

    Full-width digits and commas, △/▲/minus signs are read; a table "as printed"
    reads each cell as a yen expression ("131億2,705万2千円").
    """
    if unit not in TABLE_UNITS:
        raise AmountError(text, f"unknown unit {unit!r}; a table's unit is one of {', '.join(TABLE_UNITS)}")
    if TABLE_UNITS[unit] is None:
        return parse_yen(text)
    negative, digits = _signed(text)
    if not re.fullmatch(r"[\d,.]+", digits):
        raise AmountError(text, f"not a plain number of {unit} (a table in {unit} writes digits only)")
    value = _number(digits, text) * TABLE_UNITS[unit]
    if value != value.to_integral_value():
        raise AmountError(text, "fraction of a yen")
    return -int(value) if negative else int(value)


def parse_rate(text: str) -> Decimal:
    """A printed rate in percent, its precision kept: "△10.9" -> Decimal("-10.9"), "112.5%" -> 112.5."""
    negative, rest = _signed(text)
    for sign in _PERCENT_SIGNS:
        rest = rest.removesuffix(sign)
    if not re.fullmatch(r"[\d,.]+", rest):
        raise AmountError(text, "not a rate (digits, optionally signed and followed by % or パーセント)")
    value = _number(rest, text)
    return -value if negative else value


_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_MONTH = re.compile(r"(令和|平成|昭和)\s*(\d+|元)\s*年\s*(\d+)\s*月")


def parse_era_month(text: str) -> str:
    """"令和４年４月" -> "2022-04" (xsd:gYearMonth); AmountError if absent."""
    match = _ERA_MONTH.search(normalize(text))
    if not match:
        raise AmountError(text, "no era year and month (令和N年M月)")
    year = _ERAS[match[1]] + (1 if match[2] == "元" else int(match[2]))
    return f"{year:04d}-{int(match[3]):02d}"


def format_yen(yen: int) -> str:
    """Write yen as the city does: 208391749000 -> "2,083億9,174万9千円".

    Parts are grouped as 億/万/千 with comma thousands; a remainder below
    1,000 yen is written out; negatives take the city's "△" sign.
    """
    sign, rest = ("△", -yen) if yen < 0 else ("", yen)
    if rest == 0:
        return "0円"
    oku, rest = divmod(rest, 10**8)
    man, rest = divmod(rest, 10**4)
    sen, ones = divmod(rest, 10**3)
    parts = [f"{oku:,}億" if oku else "", f"{man:,}万" if man else ""]
    if ones:
        parts.append(f"{sen * 1000 + ones:,}" if sen else f"{ones}")
    elif sen:
        parts.append(f"{sen}千")
    return sign + "".join(parts) + "円"


def format_percent(value: Decimal) -> str:
    """Write a percentage the city's way: Decimal("-6.9") -> "△6.9％"."""
    return ("△" if value < 0 else "") + f"{abs(value)}％"
