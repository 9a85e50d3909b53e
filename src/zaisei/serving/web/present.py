"""View models for HTML pages: labels in the reader's language, amounts as the city writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import request

from zaisei.rdf.namespaces import RDF_TYPE, iri
from zaisei.sources.amounts import format_percent, format_yen
from zaisei.graph.iris import CODES, VOCAB, document_path, is_thing_path
from zaisei.rdf.terms import is_iri, is_literal

ZS = VOCAB
MONEY = {ZS + "amount", ZS + "changeAmount"}
PERCENT = {ZS + "compositionRatio", ZS + "changeRate"}
HIDDEN = {ZS + "source"}  # shown as the quote panel instead
SUPPORTED_LANGUAGES = ("ja", "en")
# Labels for the reused vocabularies' terms that pages show most (ours come from the ontology).
KNOWN_LABELS = {
    iri("rdf:type"): ("種類", "type"), iri("rdfs:label"): ("ラベル", "label"), iri("rdfs:comment"): ("説明", "comment"),
    iri("skos:prefLabel"): ("名称", "name"), iri("skos:broader"): ("上位", "broader"),
    iri("skos:narrower"): ("下位", "narrower"), iri("skos:inScheme"): ("体系", "in scheme"),
    iri("skos:topConceptOf"): ("最上位の体系", "top concept of"), iri("skos:hasTopConcept"): ("最上位の項目", "top concept"),
    iri("skos:notation"): ("記号", "notation"), iri("skos:member"): ("要素", "member"),
    iri("dcterms:identifier"): ("識別子", "identifier"), iri("dcterms:title"): ("題名", "title"),
    iri("dcterms:source"): ("出典", "source"), iri("dcterms:publisher"): ("公表者", "publisher"),
    iri("qb:dataSet"): ("データセット", "data set"), iri("qb:Observation"): ("観測値", "observation"),
    iri("schema:name"): ("名称", "name"), iri("schema:address"): ("所在地", "address"),
    iri("schema:containedInPlace"): ("所在する施設", "contained in"), iri("schema:containsPlace"): ("含む施設", "contains"),
    iri("schema:description"): ("説明", "description"), iri("schema:streetAddress"): ("住所", "street address"),
    iri("oa:hasSource"): ("出典文書", "source document"), iri("oa:hasSelector"): ("選択子", "selector"),
    iri("oa:exact"): ("引用文", "exact quote"), iri("skos:Concept"): ("概念", "concept"),
}


def language() -> str:
    """?lang= wins, then Accept-Language, then Japanese."""
    asked = request.args.get("lang", "")
    if asked in SUPPORTED_LANGUAGES:
        return asked
    best = request.accept_languages.best_match(SUPPORTED_LANGUAGES)
    return best or "ja"


def pick(by_lang: dict[str, str] | None, lang: str, fallback: str = "") -> str:
    """The label in lang, else Japanese, else any, else fallback."""
    if not by_lang:
        return fallback
    return by_lang.get(lang) or by_lang.get("ja") or by_lang.get("") or next(iter(by_lang.values()))


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def yen_text(value: str) -> tuple[str, str]:
    """("17億9,071万円", "1,790,710,000円") for a yen amount, or the value twice."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value, value
    if number != number.to_integral_value():
        return value, value
    return format_yen(int(number)), f"{int(number):,}円"


def percent_text(value: str) -> str:
    try:
        return format_percent(Decimal(value).quantize(Decimal("0.1")))
    except InvalidOperation:
        return value


def month_text(value: str, lang: str) -> str:
    """"2022-04" -> "令和4年4月（2022年4月）" or "April 2022"."""
    try:
        year, month = (int(part) for part in value.split("-")[:2])
    except ValueError:
        return value
    if lang == "en":
        return f"{_MONTHS[month - 1]} {year}" if 1 <= month <= 12 else value
    era = f"令和{year - 2018}年" if year >= 2019 else f"平成{year - 1988}年"
    return f"{era}{month}月（{year}年{month}月）"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


@dataclass
class Value:
    """One value of a property, ready to print."""

    text: str
    href: str | None = None
    title: str | None = None  # exact figure on hover
    lang: str | None = None
    datatype: str | None = None


@dataclass
class Row:
    predicate: str
    label: str
    href: str | None
    values: list[Value] = field(default_factory=list)


class Presenter:
    """Turns RDF terms of one description into printable values."""

    def __init__(self, publication, labels: dict[str, dict[str, str]], lang: str):
        self.publication, self.labels, self.lang = publication, labels, lang

    def href(self, iri: str) -> str:
        local = self.publication.local(iri)
        if local and is_thing_path(local):
            return document_path(local)
        if iri.startswith(ZS):
            return "/def/" + iri[len(ZS):]
        if iri.startswith(CODES + "/"):   # the national code lists: served here too
            return iri[len(CODES):].replace("/", "/code/", 1)
        return local or iri

    def label(self, iri: str) -> str:
        known = KNOWN_LABELS.get(iri)
        fallback = (known[0] if self.lang == "ja" else known[1]) if known else local_name(iri)
        return pick(self.labels.get(iri), self.lang, fallback)

    def money(self, yen: str) -> Value:
        written, exact = yen_text(yen)
        return Value(written, title=exact, datatype="yen")

    def value(self, predicate: str, term) -> Value:
        if is_iri(term):
            return Value(self.label(term.value), self.href(term.value), term.value)
        if not is_literal(term):
            return Value(str(term))
        if predicate in MONEY:
            return self.money(term.value)
        if predicate in PERCENT:
            return Value(percent_text(term.value), title=term.value, datatype="percent")
        if term.datatype and term.datatype.value.endswith("#gYearMonth"):
            return Value(month_text(term.value, self.lang), title=term.value)
        return Value(term.value, lang=term.language or None)

    def rows(self, triples, incoming: bool = False) -> list[Row]:
        rows: dict[str, Row] = {}
        for triple in triples:
            predicate = triple.predicate.value
            if predicate in HIDDEN and not incoming:
                continue
            row = rows.setdefault(predicate, Row(predicate, self.label(predicate), self.href(predicate)))
            row.values.append(self.value(predicate, triple.subject if incoming else triple.object))
        return sorted(rows.values(), key=lambda r: (r.predicate != RDF_TYPE, r.label))
