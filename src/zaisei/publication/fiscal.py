"""A Fiscal Data Package (FDP 0.3, the `model` OpenSpending reads) that a viewer can sum.

One resource per budget cube (accounts, changes, pillars, initiatives, revenue and expenditure
by category and their changes), one row per leaf of
the cube: a value that has narrower values in the same cube (the all-accounts total) is no
row, it is the parent of the rows under it, so summing a measure's rows gives the cube's real
total and never counts a total with its parts. Each fiscal year is a measure of its own,
carrying its currency, direction (expenditure, revenue) and phase (proposed, approved, ...),
because a budget document states the years in different phases. Each classification
dimension declares its code, its labels (`labelfor`) and its parent (`parent`). The table
of every figure (figures.csv) is a resource too, outside the model: it mixes units.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from zaisei.graph.iris import CODES
from zaisei.rdf.formats import media_type
from zaisei.rdf.namespaces import prologue
from zaisei.rdf.store import GraphStore

# OpenBudgets.eu budget phase -> FDP phase.
PHASES = {"draft": "proposed", "approved": "approved", "revised": "adjusted", "executed": "executed"}


@dataclass(frozen=True)
class Cube:
    name: str            # the resource and its file (cube-{name}.csv)
    cube: str            # the cube's IRI suffix under the dataset ({ds}/cube/{cube})
    dimension: str       # the classification: account, priority, revenueCategory, expenditureCategory
    measure: str         # zs:amount or zs:changeAmount
    title_en: str
    title_ja: str


CUBES = (
    Cube("accounts", "accounts", "account", "zs:amount", "Budget by account", "会計別予算額"),
    Cube("changes", "changes", "account", "zs:changeAmount", "Change on the previous year, by account",
         "会計別予算額の対前年度増減額"),
    Cube("pillars", "pillars", "priority", "zs:amount", "Budget by priority pillar", "重点的な取組の予算総額"),
    Cube("initiatives", "initiatives", "priority", "zs:amount", "Budget by initiative", "事業別予算額"),
    Cube("revenue", "revenue", "revenueCategory", "zs:amount", "Revenue by category", "款別歳入予算額"),
    Cube("revenue-changes", "revenue-changes", "revenueCategory", "zs:changeAmount",
         "Change on the previous year, revenue by category", "款別歳入予算額の対前年度増減額"),
    Cube("expenditure", "expenditure", "expenditureCategory", "zs:amount", "Expenditure by category",
         "款別歳出予算額"),
    Cube("expenditure-changes", "expenditure-changes", "expenditureCategory", "zs:changeAmount",
         "Change on the previous year, expenditure by category", "款別歳出予算額の対前年度増減額"),
)
# The kind of each classification, in FDP's words.
CLASSIFICATIONS = {"account": "administrative", "priority": "functional", "revenueCategory": "economic",
                   "expenditureCategory": "functional"}
ROWS = prologue("zs", "qb", "obeu-dimension", "skos", "dcterms") + """
SELECT ?value ?code ?label_ja ?label_en ?parent_code ?parent_ja ?parent_en ?national ?year ?phase ?operation ?amount
WHERE {
  ?obs qb:dataSet ?cube ; zs:%(dimension)s ?value ; %(measure)s ?amount ;
       obeu-dimension:fiscalPeriod ?fy ; obeu-dimension:budgetPhase ?phase ; obeu-dimension:operationCharacter ?operation .
  # A leaf of the cube: no narrower value of the same cube.
  FILTER NOT EXISTS { ?value skos:narrower ?child . ?other qb:dataSet ?cube ; zs:%(dimension)s ?child }
  ?value dcterms:identifier ?code .
  OPTIONAL { ?value skos:prefLabel ?label_ja FILTER(LANG(?label_ja) = "ja") }
  OPTIONAL { ?value skos:prefLabel ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?value skos:broader ?parent . ?parent dcterms:identifier ?parent_code .
             OPTIONAL { ?parent skos:prefLabel ?parent_ja FILTER(LANG(?parent_ja) = "ja") }
             OPTIONAL { ?parent skos:prefLabel ?parent_en FILTER(LANG(?parent_en) = "en") } }
  OPTIONAL { ?value skos:exactMatch|skos:closeMatch|skos:broadMatch|skos:narrowMatch ?national
             FILTER(STRSTARTS(STR(?national), "%(codes)s/")) }
  BIND(STRAFTER(STR(?fy), "/fiscal-year/") AS ?year)
}
"""
COLUMNS = ("parent_code", "parent_label_ja", "parent_label_en", "code", "label_ja", "label_en", "national")


@dataclass
class Table:
    """A cube as FDP rows: one per leaf value, a measure column per fiscal year."""

    cube: Cube
    rows: list[dict[str, str]]
    years: dict[str, tuple[str, str]]   # year -> (FDP phase, direction)

    @property
    def file(self) -> str:
        return f"cube-{self.cube.name}.csv"

    def measure(self, year: str) -> str:
        return f"{self.cube.name}_fy{year}"


def tables(triples, ds: str) -> list[Table]:
    """The budget cubes of a dataset's graph as tables (cubes without observations left out)."""
    store = GraphStore()
    store.add(triples)
    found = [_table(store, cube, ds) for cube in CUBES]
    return [table for table in found if table.rows]


def _table(store: GraphStore, cube: Cube, ds: str) -> Table:
    query = ROWS % {"dimension": cube.dimension, "measure": cube.measure, "codes": CODES}
    rows, years = {}, {}
    for s in store.select(query, cube=f"{ds}/cube/{cube.cube}"):
        year, value = s["year"].value, s["value"].value
        row = rows.setdefault(value, {"parent_code": _v(s["parent_code"]), "parent_label_ja": _v(s["parent_ja"]),
                                      "parent_label_en": _v(s["parent_en"]), "code": s["code"].value,
                                      "label_ja": _v(s["label_ja"]), "label_en": _v(s["label_en"]),
                                      "national": _v(s["national"])})
        row[f"{cube.name}_fy{year}"] = s["amount"].value
        years[year] = (PHASES[s["phase"].value.rsplit("/", 1)[1]], s["operation"].value.rsplit("/", 1)[1])
    return Table(cube, sorted(rows.values(), key=lambda r: (r["parent_code"], r["code"])), dict(sorted(years.items())))


def _v(term) -> str:
    return "" if term is None else term.value


def table_csv(table: Table) -> bytes:
    names = list(COLUMNS) + [table.measure(year) for year in table.years]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({name: row.get(name, "") for name in names} for row in table.rows)
    return buffer.getvalue().encode("utf-8")


def _resource(table: Table) -> dict:
    fields = [{"name": name, "type": "string"} for name in COLUMNS]
    fields += [{"name": table.measure(year), "type": "number"} for year in table.years]
    return {"name": table.cube.name, "path": table.file, "profile": "tabular-data-resource",
            "title": table.cube.title_en, "description": table.cube.title_ja, "format": "csv",
            "mediatype": media_type("csv"), "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": ["code"]}}


def _model(found: list[Table]) -> dict:
    measures, dimensions = {}, {}
    for table in found:
        for year, (phase, direction) in table.years.items():
            measures[table.measure(year)] = {"source": table.measure(year), "resource": table.cube.name,
                                             "currency": "JPY", "factor": 1, "direction": direction, "phase": phase}
        dimensions[f"{table.cube.name}_{table.cube.dimension}"] = _dimension(table)
    return {"measures": measures, "dimensions": dimensions}


def _dimension(table: Table) -> dict:
    """The classification: the leaf's code under its parent's, each with its labels."""
    resource = table.cube.name
    attribute = lambda source, **more: {"source": source, "resource": resource, **more}   # noqa: E731
    return {"dimensionType": "classification", "primaryKey": ["code"],
            "classificationType": CLASSIFICATIONS[table.cube.dimension],
            "attributes": {"parent_code": attribute("parent_code"),
                           "parent_label_ja": attribute("parent_label_ja", labelfor="parent_code"),
                           "parent_label_en": attribute("parent_label_en", labelfor="parent_code"),
                           "code": attribute("code", parent="parent_code"),
                           "label_ja": attribute("label_ja", labelfor="code"),
                           "label_en": attribute("label_en", labelfor="code"),
                           "national": attribute("national")}}


def datapackage(dataset, found: list[Table], figures_resource: dict) -> dict:
    """The package: the cube resources and their model, and the table of every figure."""
    description = dataset.description
    fiscal_year = description["fiscal_year"]
    return {
        "profile": "fiscal-data-package",
        "name": dataset.key,
        "title": description["title_en"],
        "description": description["description_en"],
        "licenses": [{"name": "CC-BY-4.0", "path": description["licence"], "title": "Creative Commons Attribution 4.0"}],
        "keywords": description.get("keywords_en", []),
        "countryCode": "JP",
        "granularity": "aggregated",
        "fiscalPeriod": {"start": fiscal_year["start"], "end": fiscal_year["end"]},
        "resources": [_resource(table) for table in found] + [figures_resource],
        "model": _model(found),
    }
