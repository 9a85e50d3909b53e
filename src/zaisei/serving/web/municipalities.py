"""Budgets side by side: the municipalities and fiscal years published, and the general account
of each, compared through the national account kinds (whatever a city calls its account).

Computed from the store (the data first), rendered by the landing page, the municipality's own
page (its organisation IRI's page) and charts.compared.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from zaisei.graph.iris import code, document_path, path
from zaisei.rdf.namespaces import prologue
from zaisei.serving.web import charts, writing
from zaisei.serving.web.context import publication
from zaisei.serving.web.present import pick

BUDGETS = prologue("zs", "dcterms", "obeu-dimension") + """
SELECT ?budget ?key ?organization ?year WHERE {
  ?budget a zs:Budget ; dcterms:identifier ?key ; obeu-dimension:organization ?organization ;
          zs:fiscalYear ?fiscal_year .
  BIND(STRAFTER(STR(?fiscal_year), "/fiscal-year/") AS ?year)
} ORDER BY ?organization DESC(?year) ?key
"""
# A budget states its own year and, often, the year before: the figure a budget states for its
# own year is preferred to the one a later budget restates as its comparison. A budget without
# a table of accounts states its general account as the total of its revenue or expenditure by
# category (款), which is the whole account (as the gallery's query 12 reads it).
GENERAL = prologue("zs", "skos", "dcterms", "obeu-dimension") + """
SELECT ?organization ?year ?amount ?key ?own ?by_account WHERE {
  { ?figure a zs:AccountFigure . BIND(true AS ?by_account) }
  UNION
  { ?figure zs:revenueCategory|zs:expenditureCategory ?category .
    FILTER NOT EXISTS { ?category skos:broader ?whole } BIND(false AS ?by_account) }
  ?figure zs:account ?account ; zs:amount ?amount ; zs:budget ?budget ;
          obeu-dimension:fiscalPeriod ?period ; obeu-dimension:organization ?organization .
  ?account skos:exactMatch ?general .
  ?budget zs:fiscalYear ?fiscal_year ; dcterms:identifier ?key .
  BIND(STRAFTER(STR(?period), "/fiscal-year/") AS ?year)
  BIND(?fiscal_year = ?period AS ?own)
} ORDER BY ?organization ?year DESC(?own) DESC(?by_account) DESC(?key)
"""


def budgets(organization: str | None = None) -> dict[str, list[dict]]:
    """Each municipality (organisation IRI) -> its budgets, latest fiscal year first; one
    municipality's only when named (every resource page asks, so the store is asked for it alone)."""
    by_organization: dict[str, list[dict]] = defaultdict(list)
    for row in publication().select(BUDGETS, **({"organization": organization} if organization else {})):
        by_organization[row["organization"].value].append(
            {"key": row["key"].value, "year": row["year"].value, "budget": row["budget"].value})
    return dict(by_organization)


def general_accounts(organization: str | None = None) -> dict[str, dict[str, Decimal]]:
    """Each municipality -> fiscal year -> its general account (one figure per year)."""
    rows = publication().select(GENERAL, general=code("account-kind", "general"),
                                **({"organization": organization} if organization else {}))
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:    # ordered: a budget's own year first, then the latest budget's restatement
        amounts[row["organization"].value].setdefault(row["year"].value, Decimal(row["amount"].value))
    return dict(amounts)


def index(lang: str) -> dict:
    """The landing page's index: a row per municipality, a column per fiscal year, and the chart
    of the general accounts over the two latest years."""
    pub, by_organization, amounts = publication(), budgets(), general_accounts()
    years = sorted({b["year"] for bs in by_organization.values() for b in bs}, reverse=True)
    names = pub.labels(set(by_organization) | {b["budget"] for bs in by_organization.values() for b in bs})
    rows = [_row(organization, budgets_, years, names, lang)
            for organization, budgets_ in by_organization.items()]
    rows.sort(key=lambda r: r["name"])
    return {"years": [writing.fiscal_year(y, lang) for y in years], "rows": rows,
            "chart": _chart(amounts, names, lang, sorted({y for a in amounts.values() for y in a}, reverse=True)[:2])}


def _row(organization: str, budgets_: list[dict], years: list[str], names, lang: str) -> dict:
    cells = {year: [] for year in years}
    for budget in budgets_:
        cells[budget["year"]].append({"href": path("dataset-page", dataset=budget["key"]),
                                      "title": pick(names.get(budget["budget"]), lang, budget["key"])})
    local = publication().local(organization)
    return {"name": pick(names.get(organization), lang, organization), "cells": [cells[y] for y in years],
            "href": document_path(local) if local else None}


def _chart(amounts: dict[str, dict[str, Decimal]], names, lang: str, years: list[str]):
    shown = {org: {y: a for y, a in by_year.items() if y in years} for org, by_year in amounts.items()}
    shown = {org: by_year for org, by_year in shown.items() if by_year}
    if not shown:
        return None
    title = ("一般会計の予算額（自治体別・年度別）" if lang == "ja"
             else "The general account of each municipality, by fiscal year")
    return charts.compared(shown, names, lang, publication().local, title)


def municipality(organization: str, lang: str) -> dict | None:
    """A municipality's page: its budgets (newest first) and its general account over the years;
    None when the organisation has published no budget here."""
    budgets_ = budgets(organization).get(organization)
    if not budgets_:
        return None
    pub = publication()
    names = pub.labels({organization} | {b["budget"] for b in budgets_})
    amounts = general_accounts(organization).get(organization, {})
    listed = [{"year": writing.fiscal_year(b["year"], lang), "href": path("dataset-page", dataset=b["key"]),
               "title": pick(names.get(b["budget"]), lang, b["key"]),
               "general": writing.yen(str(int(amounts[b["year"]])), lang) if b["year"] in amounts else None}
              for b in budgets_]
    years = sorted(amounts, reverse=True)
    return {"budgets": listed, "chart": _chart({organization: amounts}, names, lang, years) if amounts else None}
