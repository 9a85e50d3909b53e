"""Bar charts drawn on the server: no JavaScript, no external assets.

A chart is an HTML list whose names and amounts are text, laid out by the stylesheet (a name
column beside the bars on a wide screen, names above the bars on a phone), so every label is
readable at any width and shown in full, with no hover needed. Only each bar is a small SVG,
stretched to its track: its length is an SVG attribute, which the pages' Content-Security-Policy
(no inline styles) allows where a style="width: …" would be refused.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from markupsafe import Markup, escape

from zaisei.graph.iris import document_path, is_thing_path
from zaisei.rdf.namespaces import ALL
from zaisei.serving.web import writing
from zaisei.serving.web.present import pick

SVG = ALL["svg"]
TRACK = 1000   # a bar's track in SVG units; the bar's width is its share of the chart's largest amount


def _bar(value: Decimal, scale: Decimal, kind: str) -> str:
    width = max(2.0, float(value / scale) * TRACK) if scale > 0 and value > 0 else 2.0
    return (f'<svg class="bar" xmlns="{SVG}" viewBox="0 0 {TRACK} 10" preserveAspectRatio="none" '
            f'aria-hidden="true" focusable="false"><rect class="{kind}" width="{width:.1f}" height="10"/></svg>')


def _measure(value: Decimal, scale: Decimal, kind: str, lang: str, period: str = "") -> str:
    written, exact = writing.yen(str(int(value)), lang)
    label = f'<span class="period">{escape(period)}</span> ' if period else ""
    return (f'<div class="measure">{_bar(value, scale, kind)}'
            f'<span class="amount" title="{escape(exact)}">{label}{escape(written)}</span></div>')


def _name(text: str, path: str | None, lang: str) -> str:
    if path and is_thing_path(path):
        return f'<a class="name" href="{escape(document_path(path))}?lang={lang}">{escape(text)}</a>'
    return f'<span class="name">{escape(text)}</span>'


def _figure(title: str, legend: str, items: list[str]) -> Markup:
    return Markup(f'<figure class="chart" aria-label="{escape(title)}">{legend}'
                  f'<ul class="bars">{"".join(items)}</ul></figure>')


def accounts(rows, names, lang: str, local) -> Markup:
    """Each account's amount, this year and last year side by side."""
    by_account: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        by_account[row["account"].value][row["year"].value] = Decimal(row["amount"].value)
    title = "会計別予算額（前年度比較）" if lang == "ja" else "Budget by account, compared with the previous year"
    return compared(by_account, names, lang, local, title)


def compared(groups: dict[str, dict[str, Decimal]], names, lang: str, local, title: str) -> Markup:
    """Groups (accounts, municipalities) by their largest amount, each with one bar per fiscal
    year, the latest first; one scale for the whole chart so that bars compare across groups."""
    years = sorted({y for amounts in groups.values() for y in amounts}, reverse=True)
    scale = max((v for a in groups.values() for v in a.values()), default=Decimal(0))
    kinds = {year: "current" if index == 0 else "previous" for index, year in enumerate(years)}
    items = []
    for group, amounts in sorted(groups.items(), key=lambda kv: (-max(kv[1].values()), kv[0])):
        bars = "".join(_measure(amounts[y], scale, kinds[y], lang, writing.fiscal_year(y, lang))
                       for y in years if y in amounts)
        items.append(f'<li class="group">{_name(pick(names.get(group), lang), local(group), lang)}'
                     f'<div class="series">{bars}</div></li>')
    legend = "".join(f'<span class="key"><svg xmlns="{SVG}" viewBox="0 0 10 10" aria-hidden="true" focusable="false">'
                     f'<rect class="{kinds[y]}" width="10" height="10"/></svg>{escape(writing.fiscal_year(y, lang))}</span>'
                     for y in years)
    return _figure(title, f'<p class="legend">{legend}</p>', items)


def priorities(rows, names, lang: str, local) -> Markup:
    """Pillars and, under each, its initiatives, by amount."""
    pillars = [r for r in rows if r["parent"] is None]
    children = defaultdict(list)
    for row in rows:
        if row["parent"] is not None:
            children[row["parent"].value].append(row)
    scale = max((Decimal(r["amount"].value) for r in rows), default=Decimal(0))
    items = []
    for pillar in pillars:
        items.append(_priority(pillar, "pillar", scale, names, lang, local))
        for child in sorted(children[pillar["priority"].value], key=lambda r: -Decimal(r["amount"].value)):
            items.append(_priority(child, "initiative", scale, names, lang, local))
    title = "重点的な取組と事業の予算額" if lang == "ja" else "Priority pillars and their initiatives"
    return _figure(title, "", items)


def _priority(row, kind: str, scale: Decimal, names, lang: str, local) -> str:
    iri = row["priority"].value
    name = _name(pick(names.get(iri), lang, iri), local(iri), lang)
    return f'<li class="{kind}">{name}{_measure(Decimal(row["amount"].value), scale, kind, lang)}</li>'
