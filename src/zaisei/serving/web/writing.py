"""Numbers, amounts, dates and units written for the reader: the city's notation for Japanese
pages (56億2,138万円, 令和３年度, △), English notation for English pages (¥562.1 million, FY2021).

Every function takes the value as the graph holds it (a lexical form) and the page's language;
a value that is not what the function expects comes back unchanged, never an exception.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from zaisei.sources.amounts import format_percent, format_yen

MINUS = "\u2212"   # the minus sign English typesetting uses for negative amounts
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Units of zs:unit as English readers write them: (singular, plural); "" when the number stands alone
# after an ordinal. The Japanese pages keep the city's unit as the data has it.
ENGLISH_UNITS = {
    "%": ("%", "%"), "m": (" m", " m"), "m2": (" m²", " m²"), "人": (" person", " people"),
    "名": (" person", " people"), "事業": (" project", " projects"), "業務": (" duty", " duties"),
    "時間": (" hour", " hours"), "日": (" day", " days"), "年間": (" year", " years"),
    "日分": (" day's supply", " days' supply"), "学級": (" class", " classes"), "台": (" unit", " units"),
    "階": (" floor", " floors"),
}
ORDINAL_UNITS = {"か所目", "番目", "回目"}   # "7か所目": the 7th


def decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError):
        return None
    return number if number.is_finite() else None


def yen(value: str, lang: str) -> tuple[str, str]:
    """(written, exact) yen: ("56億2,138万円", "5,621,380,000円") or ("¥5.621 billion", "¥5,621,380,000");
    the value twice if it is no whole number of yen."""
    number = decimal(value)
    if number is None or number != number.to_integral_value():
        return value, value
    amount = int(number)
    if lang == "en":
        return english_yen(amount), _signed(amount, f"¥{abs(amount):,}")
    return format_yen(amount), f"{amount:,}円"


def english_yen(amount: int) -> str:
    """Four significant figures in millions, billions or trillions: ¥16.24 billion, ¥562.1 million;
    under a million, every yen (¥812,000)."""
    size = Decimal(abs(amount))
    for scale, word in _SCALES if size >= 10**6 else ():
        written = _significant(size / scale, 4)
        if Decimal(written.replace(",", "")) >= 1:   # 999,960,000 is ¥1 billion, not ¥1,000 million
            return _signed(amount, f"¥{written} {word}")
    return _signed(amount, f"¥{abs(amount):,}")


def _significant(number: Decimal, figures: int) -> str:
    places = max(0, figures - len(str(int(number))))
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(amount: int | Decimal, text: str) -> str:
    return MINUS + text if amount < 0 else text


def percent(value: str, lang: str) -> str:
    """"△6.9％" (the city's sign and sign of per cent) or "−6.9%"."""
    number = decimal(value)
    if number is None:
        return value
    number = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return _signed(number, f"{abs(number)}%") if lang == "en" else format_percent(number)


def number(value: str) -> str:
    """Thousands separated, as written in both languages: 5,400; 1.5."""
    parsed = decimal(value)
    if parsed is None:
        return value
    text = f"{abs(parsed):,f}"
    return _signed(parsed, text.rstrip("0").rstrip(".") if "." in text else text)


def measure(value: str, unit: str, lang: str) -> str:
    """A value with its unit: "1.5日分" / "1.5 days' supply", "7か所目" / "7th", "10円" / "¥10"."""
    if unit == "円":
        return yen(value, lang)[0]
    if unit == "円/kg":
        return f"{yen(value, lang)[0]}/kg"
    if unit == "%":
        return percent(value, lang)
    if lang != "en":
        return f"{number(value)}{'m²' if unit == 'm2' else unit}"
    if unit in ORDINAL_UNITS:
        return ordinal(value)
    singular, plural = ENGLISH_UNITS.get(unit, (f" {unit}", f" {unit}"))
    return number(value) + (singular if decimal(value) == 1 else plural)


def ordinal(value: str) -> str:
    parsed = decimal(value)
    if parsed is None or parsed != parsed.to_integral_value():
        return value
    n = int(parsed)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def era_number(n: int) -> str:
    """The city's digits in an era date: one digit full-width (令和３年４月), more half-width (令和10年)."""
    return str(n).translate(_FULL_WIDTH) if n < 10 else str(n)


def _era(name: str, n: int) -> str:
    return f"{name}{'元' if n == 1 else era_number(n)}年"


def era_year(year: int) -> str:
    """2021 -> "令和３年" (the Japanese era of a Gregorian year, as the city writes it)."""
    if year >= 2019:
        return _era("令和", year - 2018)
    if year >= 1989:
        return _era("平成", year - 1988)
    return _era("昭和", year - 1925)


def fiscal_year(year: str, lang: str) -> str:
    """"2021" -> "令和３年度" or "FY2021"."""
    if not year.isdigit():
        return year
    return f"FY{year}" if lang == "en" else era_year(int(year)).removesuffix("年") + "年度"


def month(value: str, lang: str) -> str:
    """"2022-04" (xsd:gYearMonth) -> "令和４年４月（2022年4月）" or "April 2022"."""
    try:
        year, month_ = (int(part) for part in value.split("-")[:2])
    except ValueError:
        return value
    if not 1 <= month_ <= 12:
        return value
    if lang == "en":
        return f"{_MONTHS[month_ - 1]} {year}"
    return f"{era_year(year)}{era_number(month_)}月（{year}年{month_}月）"


def date(value: str, lang: str) -> str:
    """"2021-04-01" (xsd:date) -> "令和３年４月１日（2021年4月1日）" or "1 April 2021"."""
    try:
        year, month_, day = (int(part) for part in value[:10].split("-"))
    except ValueError:
        return value
    if not (1 <= month_ <= 12 and 1 <= day <= 31) or len(value) != 10:
        return value
    if lang == "en":
        return f"{day} {_MONTHS[month_ - 1]} {year}"
    return f"{era_year(year)}{era_number(month_)}月{era_number(day)}日（{year}年{month_}月{day}日）"
