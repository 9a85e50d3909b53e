"""Charts drawn on the server as SVG: no JavaScript, no external assets."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from markupsafe import Markup, escape

from zaisei.graph.iris import document_path, is_thing_path
from zaisei.rdf.namespaces import ALL
from zaisei.sources.amounts import format_yen
from zaisei.serving.web.present import pick

WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP = 720, 260, 14, 6
SVG = ALL["svg"]
COLOURS = {"current": "#1f6fb2", "previous": "#9bbcd9", "pillar": "#2e7d4f", "initiative": "#8fc7a3"}


def _bar(y: float, value: Decimal, scale: Decimal, colour: str, title: str) -> str:
    width = max(1.0, float(value / scale) * (WIDTH - LABEL_WIDTH - 150)) if scale else 1.0
    return (f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" fill="{colour}">'
            f"<title>{escape(title)}</title></rect>"
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR_HEIGHT - 3}" font-size="11">{escape(title)}</text>')


def _svg(height: float, body: str, title: str) -> Markup:
    return Markup(f'<svg xmlns="{SVG}" role="img" aria-label="{escape(title)}" '
                  f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" font-family="sans-serif">'
                  f"<title>{escape(title)}</title>{body}</svg>")


def accounts(rows, names, lang: str) -> Markup:
    """Each account's amount, this year and last year side by side."""
    by_account: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        by_account[row["account"].value][row["year"].value] = Decimal(row["amount"].value)
    years = sorted({y for amounts in by_account.values() for y in amounts}, reverse=True)
    scale = max((v for a in by_account.values() for v in a.values()), default=Decimal(0))
    body, y = [], 10.0
    for account, amounts in sorted(by_account.items(), key=lambda kv: -max(kv[1].values())):
        body.append(f'<text x="0" y="{y + BAR_HEIGHT}" font-size="12">{escape(pick(names.get(account), lang))}</text>')
        for index, year in enumerate(years):
            if year in amounts:
                colour = COLOURS["current" if index == 0 else "previous"]
                body.append(_bar(y, amounts[year], scale, colour, f"FY{year}: {format_yen(int(amounts[year]))}"))
            y += BAR_HEIGHT + 2
        y += GAP * 2
    title = "会計別予算額（前年度比較）" if lang == "ja" else "Budget by account, compared with the previous year"
    return _svg(y, "".join(body), title)


def priorities(rows, names, lang: str, local) -> Markup:
    """Pillars and, under each, its initiatives, by amount."""
    pillars = [r for r in rows if r["parent"] is None]
    children = defaultdict(list)
    for row in rows:
        if row["parent"] is not None:
            children[row["parent"].value].append(row)
    scale = max((Decimal(r["amount"].value) for r in rows), default=Decimal(0))
    body, y = [], 10.0
    for pillar in pillars:
        iri = pillar["priority"].value
        body.append(_link_label(y, pick(names.get(iri), lang), local(iri), bold=True))
        body.append(_bar(y, Decimal(pillar["amount"].value), scale, COLOURS["pillar"], format_yen(int(Decimal(pillar["amount"].value)))))
        y += BAR_HEIGHT + GAP
        for child in sorted(children[iri], key=lambda r: -Decimal(r["amount"].value)):
            name = pick(names.get(child["priority"].value), lang)
            body.append(_link_label(y, "  " + name, local(child["priority"].value)))
            body.append(_bar(y, Decimal(child["amount"].value), scale, COLOURS["initiative"], format_yen(int(Decimal(child["amount"].value)))))
            y += BAR_HEIGHT + GAP
        y += GAP
    title = "重点的な取組と事業の予算額" if lang == "ja" else "Priority pillars and their initiatives"
    return _svg(y, "".join(body), title)


def _link_label(y: float, text: str, path: str | None, bold: bool = False) -> str:
    short = text if len(text) <= 22 else text[:21] + "…"
    weight = ' font-weight="bold"' if bold else ""
    label = f'<text x="0" y="{y + BAR_HEIGHT - 2}" font-size="11"{weight}><title>{escape(text)}</title>{escape(short)}</text>'
    if path and is_thing_path(path):
        return f'<a href="{escape(document_path(path))}">{label}</a>'
    return label
