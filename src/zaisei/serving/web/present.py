"""View models for HTML pages: labels in the reader's language, amounts as the city writes them."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, request

from zaisei.rdf.namespaces import PREFIXES, RDF_TYPE, iri
from zaisei.sources.amounts import format_percent, format_yen
from zaisei.graph.iris import CODES, VOCAB, document_path, is_thing_path
from zaisei.rdf.terms import is_iri, is_literal
from zaisei.serving.web import labels, writing

ZS = VOCAB
MONEY = {ZS + "amount", ZS + "changeAmount"}
PERCENT = {ZS + "compositionRatio", ZS + "changeRate"}
HIDDEN = {ZS + "source"}  # shown as the quote panel instead
SUPPORTED_LANGUAGES = ("ja", "en")
XSD = PREFIXES["xsd"]
NUMBERS = {XSD + name for name in ("integer", "decimal", "nonNegativeInteger", "positiveInteger", "long", "int")}


def language() -> str:
    """?lang= wins, then Accept-Language, then Japanese. An answer chosen by Accept-Language
    says so (Vary: Accept-Language, added by the app's after-request hook): a shared cache
    must not hand one reader's language to another."""
    asked = request.args.get("lang", "")
    if asked in SUPPORTED_LANGUAGES:
        return asked
    g.language_negotiated = True
    best = request.accept_languages.best_match(SUPPORTED_LANGUAGES)
    return best or "ja"


def language_negotiated() -> bool:
    return bool(g.get("language_negotiated"))


def pick(by_lang: dict[str, str] | None, lang: str, fallback: str = "") -> str:
    """The label in lang, else Japanese, else any, else fallback."""
    if not by_lang:
        return fallback
    return by_lang.get(lang) or by_lang.get("ja") or by_lang.get("") or next(iter(by_lang.values()))


def localised(href: str | None, lang: str) -> str | None:
    """A link to a page of this site keeps the reader's language (?lang=); others are left alone."""
    if not href or not href.startswith("/") or href.startswith("//") or "?" in href or "#" in href:
        return href
    return f"{href}?lang={lang}"


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


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

    def __init__(self, publication, labels_: dict[str, dict[str, str]], lang: str):
        self.publication, self.labels, self.lang = publication, labels_, lang

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
        """The name of a thing or term in the reader's language: the graph's labels (the ontology's
        for zs: terms), the table of reused terms (labels.py), else the IRI's last segment."""
        own = self.labels.get(iri) or {}
        return own.get(self.lang) or labels.known(iri, self.lang) or pick(own, self.lang, local_name(iri))

    def money(self, yen: str) -> Value:
        written, exact = writing.yen(yen, self.lang)
        return Value(written, title=exact, datatype="yen")

    def measure(self, value: str, unit: str) -> Value:
        """A value with its zs:unit: money written as money, the rest with the unit in the reader's words."""
        if unit == "円":
            return self.money(value)
        return Value(writing.measure(value, unit, self.lang), title=f"{value} {unit}")

    def value(self, predicate: str, term) -> Value:
        if is_iri(term):
            return Value(self.label(term.value), self.href(term.value), term.value)
        if not is_literal(term):
            return Value(str(term))
        if predicate in MONEY:
            return self.money(term.value)
        if predicate in PERCENT:
            return Value(writing.percent(term.value, self.lang), title=term.value, datatype="percent")
        return self.literal(term)

    def literal(self, term) -> Value:
        datatype = term.datatype.value if term.datatype else ""
        if datatype == XSD + "gYearMonth":
            return Value(writing.month(term.value, self.lang), title=term.value)
        if datatype == XSD + "date":
            return Value(writing.date(term.value, self.lang), title=term.value)
        if datatype in NUMBERS:
            return Value(writing.number(term.value), title=term.value)
        return Value(term.value, lang=term.language or None)

    def rows(self, triples, incoming: bool = False) -> list[Row]:
        """One row per property; a text given in several languages is shown in the reader's."""
        rows: dict[str, Row] = {}
        for triple in triples:
            predicate = triple.predicate.value
            if predicate in HIDDEN and not incoming:
                continue
            row = rows.get(predicate)
            if row is None:
                name = self.label(predicate)
                name = labels.inverse(predicate, self.lang, name) if incoming else name
                row = rows[predicate] = Row(predicate, name, self.href(predicate))
            row.values.append(self.value(predicate, triple.subject if incoming else triple.object))
        for row in rows.values():
            row.values = self._in_language(row.values)
        return sorted(rows.values(), key=lambda r: (r.predicate != RDF_TYPE, r.label))

    def _in_language(self, values: list[Value]) -> list[Value]:
        tagged = [v for v in values if v.lang]
        if not tagged or not any(v.lang == self.lang for v in tagged):
            return values
        return [v for v in values if not v.lang or v.lang == self.lang]
