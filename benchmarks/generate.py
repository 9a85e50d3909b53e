"""Deterministic synthetic budget documents: N municipalities x Y fiscal years.

Each dataset is a source folder in exactly the ``sources/`` format
(docs/sources.md): ``dataset.toml``, a generated ``document.txt`` whose lines
state the figures the way the city writes them (``zaisei.amounts.format_yen``),
and tables whose quotes cite those lines. Every figure the scanner finds in
the text is used by a row, and the arithmetic holds: accounts add up exactly
to their total, pillar totals equal the sum of their initiatives within the
万円 rounding, ratios and change rates are stated to one decimal from the
stated amounts, and last year's amounts are the previous dataset's amounts.

Everything is invented and marked so: names start with 架空 ("fictional"),
local-government codes start with 9 (no real prefecture has code 90-99).
The same seed always gives the same bytes; a municipality's figures for a
year do not depend on how many municipalities or years are generated.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from zaisei.sources.amounts import format_percent, format_yen

FIRST_YEAR = 2021  # 令和３年度; the baseline (previous) year of the first dataset is 2020
MAN = 10_000  # the narrative rounding unit (rounding_yen)
SEN = 1_000  # the budget table states accounts to the thousand yen, as Minato does

# size name -> (municipalities, fiscal years); calibrated so the built graph
# has about that many triples (see docs/benchmarks.md for the measured counts).
SIZES = {
    "10k": (2, 2),
    "100k": (7, 3),
    "1m": (22, 10),
    "10m": (215, 10),
}
# Japan's 1,741 municipalities over ten years: about 80M triples with these
# shapes (~4,700 per dataset); it does not build or serve on a 2-core, 23 GB machine.
NATIONAL = (1741, 10)

_PREFIXES = (("北", "Kita"), ("南", "Minami"), ("東", "Higashi"), ("西", "Nishi"), ("中", "Naka"),
             ("大", "O"), ("小", "Ko"), ("高", "Taka"), ("新", "Shin"), ("若", "Waka"),
             ("青", "Ao"), ("白", "Shira"), ("桜", "Sakura"), ("松", "Matsu"), ("森", "Mori"),
             ("宮", "Miya"), ("長", "Naga"), ("広", "Hiro"), ("吉", "Yoshi"), ("富", "Tomi"))
_ROOTS = (("川", "kawa"), ("山", "yama"), ("田", "ta"), ("野", "no"), ("原", "hara"),
          ("浜", "hama"), ("沢", "sawa"), ("島", "shima"), ("岡", "oka"), ("谷", "tani"),
          ("崎", "saki"), ("里", "sato"), ("井", "i"), ("瀬", "se"), ("津", "tsu"))
_KINDS = (("市", "City"), ("町", "Town"), ("村", "Village"))
_PREFECTURES = ("架空北県", "架空南県", "架空東県", "架空西県")

GENERAL = ("general", "一般会計", "General account")
# Each account's kind in the national code list (ontology/codes/account-kind.csv), and how it matches.
NATIONAL = {"total": ("all", "exact"), "general": ("general", "exact"),
            "nhi": ("national-health-insurance", "exact"), "care": ("long-term-care-insurance", "exact"),
            "elderly": ("late-elderly-medical-care", "exact"), "sewer": ("sewerage", "exact"),
            "water": ("water-supply", "exact"), "hospital": ("hospital", "exact"),
            "market": ("wholesale-market", "exact"), "parking": ("special", "broad")}
# Special accounts, the first two of which every municipality has.
SPECIALS = (
    ("nhi", "国民健康保険事業会計", "National health insurance account", 0.15, 0.35),
    ("care", "介護保険会計", "Long-term care insurance account", 0.12, 0.30),
    ("elderly", "後期高齢者医療会計", "Late-stage elderly medical care account", 0.03, 0.08),
    ("sewer", "下水道事業会計", "Sewerage account", 0.05, 0.15),
    ("water", "水道事業会計", "Water supply account", 0.05, 0.15),
    ("hospital", "病院事業会計", "Hospital account", 0.10, 0.30),
    ("market", "地方卸売市場事業会計", "Wholesale market account", 0.005, 0.02),
    ("parking", "駐車場事業会計", "Parking account", 0.001, 0.01),
)
PILLARS = (
    ("子育て・教育の充実", "Childcare and education"), ("健康・福祉の推進", "Health and welfare"),
    ("安全・安心なまちづくり", "Safety and disaster resilience"), ("地域経済の活性化", "Local economy"),
    ("環境にやさしいまちづくり", "Environment"), ("文化・スポーツの振興", "Culture and sport"),
    ("都市基盤の整備", "Urban infrastructure"), ("デジタル化の推進", "Digital government"),
    ("高齢者・障害者の支援", "Support for older and disabled people"),
    ("地域コミュニティの活性化", "Community life"), ("観光の振興", "Tourism"), ("住まいの確保", "Housing"),
)
# Initiative labels are place + object + action; none contains a digit, so a
# label can never be mistaken for a figure by the scanner.
_PLACES = (("", ""), ("北部地区の", " in the northern district"), ("南部地区の", " in the southern district"),
           ("中央地区の", " in the central district"), ("東部地区の", " in the eastern district"),
           ("西部地区の", " in the western district"), ("駅周辺の", " around the station"))
_FACILITIES = (("保育園", "nurseries"), ("小学校", "primary schools"), ("図書館", "libraries"), ("公園", "parks"),
               ("道路", "roads"), ("橋りょう", "bridges"), ("防災倉庫", "disaster stockpiles"),
               ("高齢者施設", "care homes"), ("上下水道", "water and sewerage"), ("公民館", "community halls"),
               ("体育館", "gyms"), ("庁舎", "town offices"))
_SERVICES = (("商店街振興", "shopping-street promotion"), ("地域交通", "local transport"),
             ("子育て相談", "parenting advice"), ("健康診断", "health checks"), ("予防接種", "vaccinations"),
             ("窓口業務", "counter services"), ("空き家対策", "vacant-house measures"),
             ("観光案内", "tourist information"), ("ごみ収集", "waste collection"), ("見守り活動", "neighbourhood watch"))
_BUILD = (("の整備", "Construction of"), ("の改修", "Renovation of"), ("の維持管理", "Maintenance of"),
          ("の耐震化", "Earthquake-proofing of"))
_RUN = (("の運営支援", "Operating support for"), ("の拡充", "Expansion of"), ("の充実", "Improvement of"),
        ("のデジタル化", "Digitalisation of"))
# Every label an initiative can have: facilities are built, services are run.
_INITIATIVES = tuple((p + o + a, f"{ae} {oe}{pe}") for p, pe in _PLACES
                     for objects, actions in ((_FACILITIES, _BUILD), (_SERVICES, _RUN))
                     for o, oe in objects for a, ae in actions)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# -- numbers -----------------------------------------------------------------

def round_to(yen: float, unit: int) -> int:
    """Round half up to a multiple of unit, as the city rounds its figures."""
    return int((Decimal(yen) / unit).quantize(Decimal(1), ROUND_HALF_UP)) * unit


def one_decimal(numerator: int, denominator: int) -> Decimal:
    """A percentage stated to one decimal; never '-0.0'."""
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return value + Decimal("0.0")


def check_digit(area_code: str) -> str:
    """The check digit of a 全国地方公共団体コード (weights 6..2, modulus 11)."""
    total = sum(int(d) * w for d, w in zip(area_code, (6, 5, 4, 3, 2)))
    return str((11 - total % 11) % 10)


def era_label(year: int) -> str:
    """令和N年度 with full-width digits, as the documents write it (2019 = 令和元年度)."""
    reiwa = year - 2018
    return "令和" + ("元" if reiwa == 1 else str(reiwa).translate(_FULLWIDTH)) + "年度"


def _rng(seed: int, *parts) -> random.Random:
    # String seeds are hashed with SHA-512: stable across runs and Python builds.
    return random.Random("/".join(map(str, (seed, *parts))))


# -- the model ---------------------------------------------------------------

@dataclass(frozen=True)
class Municipality:
    """An invented municipality: code, names and the shape of its budget."""

    index: int
    area_code: str
    name_ja: str
    name_en: str
    prefecture_ja: str
    population: int
    specials: tuple
    initiatives: int  # typical number of initiatives per year

    @property
    def lg_code(self) -> str:
        return self.area_code + check_digit(self.area_code)

    def key(self, year: int) -> str:
        return f"synth-{self.area_code}-{year}"


def _names(seed: int) -> list[tuple[str, str, str]]:
    """Every (name_ja, name_en, prefecture) combination, in a seeded order."""
    names = [(f"架空{p}{r}{k}", f"{pe}{re} {ke} (synthetic)", pref)
             for pref in _PREFECTURES for p, pe in _PREFIXES for r, re in _ROOTS for k, ke in _KINDS]
    _rng(seed, "names").shuffle(names)
    return names


def municipalities(count: int, seed: int = 7) -> list[Municipality]:
    """The first `count` municipalities of the seed (the same first ones for any count)."""
    names = _names(seed)
    if count > len(names):
        raise ValueError(f"at most {len(names)} synthetic municipalities")
    found = []
    for index in range(count):
        rng = _rng(seed, "municipality", index)
        # Heavy-tailed like Japan's: a few cities of millions, many towns of thousands.
        population = int(min(3_700_000, max(800, rng.lognormvariate(math.log(30_000), 1.2))))
        extra = rng.randint(0, 4)
        specials = SPECIALS[:2] + tuple(rng.sample(SPECIALS[2:], extra))
        typical = math.log(45) + 0.25 * math.log(population / 30_000)  # bigger towns, more initiatives
        initiatives = int(min(300, max(20, rng.lognormvariate(typical, 0.5))))
        name_ja, name_en, prefecture = names[index]
        found.append(Municipality(index, f"{90001 + index:05d}", name_ja, name_en, prefecture,
                                  population, specials, initiatives))
    return found


def account_amounts(town: Municipality, year: int, seed: int) -> dict[str, int]:
    """Each account's budget in a year, to the thousand yen; 'total' is their exact sum."""
    base = _rng(seed, "accounts", town.index)
    noise = _rng(seed, "accounts", town.index, year)
    general = town.population * base.uniform(350_000, 550_000)
    growth = base.gauss(0.015, 0.02)
    amounts = {"general": general * math.exp(growth * (year - FIRST_YEAR) + noise.gauss(0, 0.04))}
    for key, _, _, low, high in town.specials:
        share = base.uniform(low, high)
        amounts[key] = general * share * math.exp(noise.gauss(0, 0.05))
    stated = {key: max(SEN, round_to(value, SEN)) for key, value in amounts.items()}
    stated["total"] = sum(stated.values())
    return stated


@dataclass
class Pillar:
    """A priority pillar: its stated total and its initiatives (label_ja, label_en, amount)."""

    number: int
    label_ja: str
    label_en: str
    total: int = 0
    initiatives: list = field(default_factory=list)


def priorities(town: Municipality, year: int, seed: int, general: int) -> list[Pillar]:
    """5-10 pillars holding 20-300 initiatives with heavy-tailed amounts in 万円."""
    rng = _rng(seed, "priorities", town.index, year)
    themes = rng.sample(PILLARS, rng.randint(5, 10))
    count = min(300, max(20, round(town.initiatives * rng.uniform(0.9, 1.1))))
    labels = rng.sample(_INITIATIVES, count)
    shares = [rng.lognormvariate(0, 1) for _ in themes]
    sizes = _split(count, len(themes), rng)
    budget = general * rng.uniform(0.05, 0.20)
    pillars, start = [], 0
    for number, ((ja, en), share, size) in enumerate(zip(themes, shares, sizes), start=1):
        pillar = Pillar(number, ja, en)
        raw = [rng.lognormvariate(0, 1.3) for _ in range(size)]
        exact = [round_to(budget * share / sum(shares) * w / sum(raw), SEN) for w in raw]
        stated = [max(MAN, round_to(x, MAN)) for x in exact]
        pillar.total = round_to(sum(exact), MAN)
        if abs(pillar.total - sum(stated)) > size * MAN // 2:
            pillar.total = sum(stated)  # a floor at 1万円 moved the parts: state their sum
        pillar.initiatives = [(ja_, en_, amount) for (ja_, en_), amount in zip(labels[start:start + size], stated)]
        start += size
        pillars.append(pillar)
    return pillars


def _split(count: int, parts: int, rng: random.Random) -> list[int]:
    """count items over parts, each part at least two."""
    sizes = [2] * parts
    for _ in range(count - 2 * parts):
        sizes[rng.randrange(parts)] += 1
    return sizes


# -- the source folder ---------------------------------------------------------

class _Text:
    """document.txt under construction: lines, and the 1-based number of each."""

    def __init__(self):
        self.lines: list[str] = []

    def add(self, line: str = "") -> int:
        self.lines.append(line)
        return len(self.lines)

    def data(self) -> bytes:
        return ("\n".join(self.lines) + "\n").encode("utf-8")


def _csv(header: tuple[str, ...], rows: list[dict]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@dataclass
class Folder:
    """The files of one source folder, by name, as bytes."""

    key: str
    files: dict[str, bytes]


def _accounts_section(text: _Text, town: Municipality, year: int, seed: int, tables: dict) -> int:
    """The budget table: one line per account, current and previous year, change and rate."""
    now, before = account_amounts(town, year, seed), account_amounts(town, year - 1, seed)
    text.add("■ 会計別予算額")
    text.add(f"区 分 {era_label(year)} 構成比 {era_label(year - 1)} 構成比 増減額 増減率")
    accounts = [GENERAL[:3]] + [s[:3] for s in town.specials] + [("total", "合計", "All accounts")]
    for key, ja, en in accounts:
        change = now[key] - before[key]
        figures = [(format_yen(now[key]), "now"), (format_percent(one_decimal(now[key], now["total"])), "now%"),
                   (format_yen(before[key]), "before"),
                   (format_percent(one_decimal(before[key], before["total"])), "before%"),
                   (format_yen(change), "change"), (format_percent(one_decimal(change, before[key])), "rate")]
        line = text.add(ja + " " + " ".join(f for f, _ in figures))
        # Each quote runs from the line start to its figure: unique on the line,
        # and earlier figures are already claimed by earlier rows.
        quote = {name: ja + " " + " ".join(f for f, _ in figures[:i + 1]) for i, (_, name) in enumerate(figures)}
        tables["accounts"].append({"key": key, "parent": "" if key == "total" else "total", "label_ja": ja,
                                   "label_en": en, "line": line, "quote": ja, "national": NATIONAL[key][0],
                                   "match": NATIONAL[key][1]})
        for fy, amounts, which in ((year, now, "now"), (year - 1, before, "before")):
            tables["budget"].append({
                "key": f"{key}-{fy}", "account": key, "fiscal_year": fy, "amount_yen": amounts[key],
                "amount_line": line, "amount_quote": quote[which],
                "ratio_percent": one_decimal(amounts[key], amounts["total"]), "ratio_line": line,
                "ratio_quote": quote[which + "%"]})
        tables["budget-changes"].append({
            "key": key, "account": key, "change_yen": change, "change_line": line, "change_quote": quote["change"],
            "change_rate_percent": one_decimal(change, before[key]), "rate_line": line, "rate_quote": quote["rate"]})
    return now["general"]


def _priorities_section(text: _Text, pillars: list[Pillar], tables: dict) -> None:
    """Pillar headers with their totals, each followed by its initiatives."""
    text.add()
    text.add("■ 重点的な取組")
    count, total = sum(len(p.initiatives) for p in pillars), sum(p.total for p in pillars)
    summary = f"{count}事業", format_yen(total)
    line = text.add(f"重点的な取組 合計 {summary[0]} {summary[1]}")
    tables["policy-figures"] += [
        {"key": "initiative-count", "subject": "", "label_ja": "重点的な取組の事業数",
         "label_en": "Number of priority initiatives", "value": count, "unit": "事業", "approximate": "false",
         "line": line, "quote": summary[0]},
        {"key": "priority-total", "subject": "", "label_ja": "重点的な取組の予算総額",
         "label_en": "Total budget of the priority initiatives", "value": total, "unit": "円",
         "approximate": "false", "line": line, "quote": summary[1]}]
    for pillar in pillars:
        number = str(pillar.number).translate(_FULLWIDTH)
        text.add()
        line = text.add(f"【取組{number}】{pillar.label_ja} {format_yen(pillar.total)}")
        tables["priorities"].append(_priority_row(f"pillar-{pillar.number}", "", pillar.number, pillar.label_ja,
                                                  pillar.label_en, pillar.total, line))
        for order, (ja, en, amount) in enumerate(pillar.initiatives, start=1):
            line = text.add(f"（{str(order).translate(_FULLWIDTH)}）{ja} {format_yen(amount)}")
            tables["priorities"].append(_priority_row(f"initiative-{pillar.number}-{order}", f"pillar-{pillar.number}",
                                                      order, ja, en, amount, line))


def _priority_row(key, parent, number, ja, en, amount, line) -> dict:
    return {"key": key, "parent": parent, "number": number, "label_ja": ja, "label_en": en, "line": line,
            "quote": ja, "amount_yen": amount, "amount_line": line, "amount_quote": format_yen(amount)}


_COLUMNS = {
    "accounts": ("key", "parent", "label_ja", "label_en", "line", "quote", "national", "match"),
    "budget": ("key", "account", "fiscal_year", "amount_yen", "amount_line", "amount_quote",
               "ratio_percent", "ratio_line", "ratio_quote"),
    "budget-changes": ("key", "account", "change_yen", "change_line", "change_quote",
                       "change_rate_percent", "rate_line", "rate_quote"),
    "priorities": ("key", "parent", "number", "label_ja", "label_en", "line", "quote",
                   "amount_yen", "amount_line", "amount_quote"),
    "policy-figures": ("key", "subject", "label_ja", "label_en", "value", "unit", "approximate", "line", "quote"),
    "waivers": ("line", "expression", "reason"),
}


def dataset(town: Municipality, year: int, seed: int = 7) -> Folder:
    """One municipality-year as a source folder (files as bytes)."""
    text, tables = _Text(), {name: [] for name in _COLUMNS}
    text.add("【合成データ】この文書はベンチマークのために自動生成した架空の自治体の予算資料です。実在の自治体とは関係ありません。")
    text.add(f"{town.name_ja} {era_label(year)}予算の概要")
    text.add(f"（{town.prefecture_ja}）")
    text.add()
    general = _accounts_section(text, town, year, seed, tables)
    _priorities_section(text, priorities(town, year, seed, general), tables)
    files = {"dataset.toml": description(town, year).encode("utf-8"), "document.txt": text.data()}
    files.update({f"{name}.csv": _csv(columns, tables[name]) for name, columns in _COLUMNS.items()})
    return Folder(town.key(year), files)


def _toml(value) -> str:
    # JSON strings are valid TOML basic strings for the characters used here.
    return json.dumps(value, ensure_ascii=False)


def description(town: Municipality, year: int) -> str:
    """dataset.toml: who published what for which year; dates are fixed, never the clock."""
    era, previous = era_label(year), era_label(year - 1)
    values = {
        "key": town.key(year),
        "title_ja": f"{town.name_ja} {era}予算の概要（合成データ）",
        "title_en": f"{town.name_en} FY{year} budget summary (synthetic benchmark data)",
        "description_ja": "ベンチマーク用に自動生成した架空の自治体の予算データ。実在の自治体とは関係ありません。",
        "description_en": "Synthetic budget data of an invented municipality, generated for benchmarks; "
                          "no real local government.",
    }
    lines = ["# SYNTHETIC BENCHMARK DATA generated by `python -m benchmarks generate`.",
             "# An invented municipality: the 9xxxxx code belongs to no real local government."]
    lines += [f"{name} = {_toml(value)}" for name, value in values.items()]
    lines += ['keywords_ja = ["予算", "合成データ"]', 'keywords_en = ["budget", "synthetic"]', 'language = "ja"',
              f"rounding_yen = {MAN}", f'issued = "{year}-02-20"', f'modified = "{year}-02-20"',
              'licence = "https://creativecommons.org/licenses/by/4.0/"', "",
              "[publisher]", f"name_ja = {_toml(town.name_ja)}", f"name_en = {_toml(town.name_en)}",
              f"prefecture_ja = {_toml(town.prefecture_ja)}", f'lg_code = "{town.lg_code}"',
              f'area_code = "{town.area_code}"', f'homepage = "https://synth-{town.area_code}.invalid/"', "",
              "[fiscal_year]", f"year = {year}", f'label_ja = "{era}"', f'label_en = "FY{year}"',
              f'start = "{year}-04-01"', f'end = "{year + 1}-03-31"', f"previous = {year - 1}",
              f'previous_label_ja = "{previous}"', f'previous_start = "{year - 1}-04-01"',
              f'previous_end = "{year}-03-31"', "",
              "[budget]", 'edition = "initial"', 'edition_ja = "当初予算"', 'edition_en = "initial budget"',
              'phase = "draft"', 'previous_phase = "approved"', "",
              "[source]", 'file = "document.txt"', f'title_ja = "{era}予算の概要（{town.name_ja}）"',
              f'title_en = "FY{year} budget summary ({town.name_en})"', 'format = "text/plain"', 'language = "ja"',
              'note = "Generated text (synthetic benchmark data)."']
    return "\n".join(lines) + "\n"


def write(folder: Folder, root: Path) -> Path:
    """Write a folder under root, leaving files whose bytes are unchanged untouched."""
    target = root / folder.key
    target.mkdir(parents=True, exist_ok=True)
    for name, data in folder.files.items():
        path = target / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return target


def generate(root: Path, towns: int, years: int, seed: int = 7) -> list[Path]:
    """Write towns x years source folders under root; returns their paths."""
    root = Path(root)
    return [write(dataset(town, year, seed), root)
            for town in municipalities(towns, seed) for year in range(FIRST_YEAR, FIRST_YEAR + years)]
