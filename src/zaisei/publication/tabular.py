"""The figures as a table: figures.csv, its CSVW metadata, a Fiscal Data Package, and the same
table as a spreadsheet (figures.xlsx, spreadsheet.py).

The rows are read back out of the built graph with SPARQL, so the CSV can
never say something the RDF does not; the CSVW metadata maps each column to
the property it came from, so a CSVW processor rebuilds the same triples.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from zaisei.graph.iris import mint
from zaisei.publication import fiscal, spreadsheet
from zaisei.rdf.namespaces import prologue
from zaisei.rdf.formats import media_type
from zaisei.rdf.namespaces import ALL, PREFIXES
from zaisei.rdf.store import GraphStore

# (column, CSVW property, datatype or "iri"/"lang:xx"/None, aboutUrl override)
COLUMNS = (
    ("figure", None, "iri", None),
    ("type", None, None, None),
    ("class", "rdf:type", "iri", None),
    ("key", "dcterms:identifier", "string", None),
    ("label_ja", "rdfs:label", "lang:ja", None),
    ("label_en", "rdfs:label", "lang:en", None),
    ("fiscal_year", None, "integer", None),
    ("fiscal_period", "obeu-dimension:fiscalPeriod", "iri", None),
    ("amount_yen", "zs:amount", "decimal", None),
    ("ratio_percent", "zs:compositionRatio", "decimal", None),
    ("change_yen", "zs:changeAmount", "decimal", None),
    ("change_rate_percent", "zs:changeRate", "decimal", None),
    ("value", "zs:value", "decimal", None),
    ("unit", "zs:unit", "string", None),
    ("approximate", "zs:approximate", "boolean", None),
    ("account", "zs:account", "iri", None),
    ("priority", "zs:priority", "iri", None),
    ("revenue_category", "zs:revenueCategory", "iri", None),
    ("expenditure_category", "zs:expenditureCategory", "iri", None),
    ("about", "zs:about", "iri", None),
    ("source", "zs:source", "iri", None),
    ("source_line", "zs:line", "integer", "{+source}"),
    ("source_quote", "oa:exact", "string", "{+source}/text"),
    # A cited figure's source is a cell of the city's table: its row position and printed text.
    ("source_row", "zs:rowPosition", "integer", "{+source}"),
    ("source_printed", "zs:printed", "string", "{+source}"),
)
_TYPES = ("account", "revenue", "expenditure", "pillar", "initiative", "change", "policy", "indicator")

QUERY = prologue("zs", "qb", "obeu-dimension", "skos", "dcterms", "rdfs", "oa") + """
SELECT ?figure ?type ?class ?key ?label_ja ?label_en ?fiscal_year ?fiscal_period ?amount_yen
       ?ratio_percent ?change_yen ?change_rate_percent ?value ?unit ?approximate ?account
       ?priority ?revenue_category ?expenditure_category ?about ?source ?source_line ?source_quote
       ?source_row ?source_printed
WHERE {
  {
    ?figure a zs:AccountFigure ; zs:account ?account ; obeu-dimension:fiscalPeriod ?fiscal_period ;
            zs:amount ?amount_yen ; dcterms:identifier ?key .
    OPTIONAL { ?figure zs:compositionRatio ?ratio_percent }
    BIND("account" AS ?type) BIND(zs:AccountFigure AS ?class) BIND(zs:amount AS ?main)
  } UNION {
    ?figure a zs:PriorityFigure ; zs:priority ?priority ; obeu-dimension:fiscalPeriod ?fiscal_period ;
            zs:amount ?amount_yen .
    ?priority dcterms:identifier ?key .
    BIND(IF(EXISTS { ?priority a zs:Initiative }, "initiative", "pillar") AS ?type)
    BIND(zs:PriorityFigure AS ?class) BIND(zs:amount AS ?main)
  } UNION {
    ?figure a ?class ; obeu-dimension:fiscalPeriod ?fiscal_period ; zs:amount ?amount_yen ; dcterms:identifier ?key .
    FILTER(?class IN (zs:RevenueFigure, zs:ExpenditureFigure))
    OPTIONAL { ?figure zs:account ?account }
    OPTIONAL { ?figure zs:revenueCategory ?revenue_category }
    OPTIONAL { ?figure zs:expenditureCategory ?expenditure_category }
    BIND(IF(?class = zs:RevenueFigure, "revenue", "expenditure") AS ?type) BIND(zs:amount AS ?main)
  } UNION {
    # A change may state its amount, its rate, or both (the source for either).
    ?figure a zs:YearOnYearChange ; dcterms:identifier ?key .
    OPTIONAL { ?figure zs:changeAmount ?change_yen }
    OPTIONAL { ?figure zs:changeRate ?change_rate_percent }
    OPTIONAL { ?figure zs:revenueCategory ?revenue_category }
    OPTIONAL { ?figure zs:expenditureCategory ?expenditure_category }
    BIND("change" AS ?type) BIND(zs:YearOnYearChange AS ?class)
    BIND(IF(BOUND(?change_yen), zs:changeAmount, zs:changeRate) AS ?main)
  } UNION {
    ?figure a ?class ; dcterms:identifier ?key ; zs:value ?value ; zs:unit ?unit .
    FILTER(?class IN (zs:PolicyFigure, zs:Indicator))
    OPTIONAL { ?figure zs:approximate ?approximate }
    OPTIONAL { ?figure zs:about ?about }
    BIND(IF(?class = zs:PolicyFigure, "policy", "indicator") AS ?type) BIND(zs:value AS ?main)
  }
  OPTIONAL { ?figure rdfs:label ?label_ja FILTER(LANG(?label_ja) = "ja") }
  OPTIONAL { ?figure rdfs:label ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?quote zs:supports ?main . ?figure zs:source ?quote .
             ?quote zs:line ?source_line ; oa:hasSelector ?selector . ?selector oa:exact ?source_quote }
  OPTIONAL { ?cell zs:supports ?main . ?figure zs:source ?cell .
             ?cell zs:rowPosition ?source_row ; zs:printed ?source_printed }
  BIND(COALESCE(?quote, ?cell) AS ?source)
  BIND(STRAFTER(STR(?fiscal_period), "/fiscal-year/") AS ?fiscal_year)
}
"""


def _cell(term) -> str:
    return "" if term is None else term.value


def figure_rows(triples) -> list[dict[str, str]]:
    """One row per figure per fiscal year, in a stable order."""
    store = GraphStore()
    store.add(triples)
    names = [c[0] for c in COLUMNS]
    rows = [{name: _cell(solution[name]) for name in names} for solution in store.query(QUERY)]
    return sorted(rows, key=lambda r: (_TYPES.index(r["type"]), r["key"], r["fiscal_year"], r["figure"]))


def figures_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=[c[0] for c in COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _column(name, prop, kind, about) -> dict:
    column = {"name": name, "titles": name}
    if prop is None:
        column["suppressOutput"] = True
    else:
        prefix, local = prop.split(":", 1)
        column["propertyUrl"] = PREFIXES[prefix] + local
    if kind == "iri" and prop:
        column["valueUrl"] = "{+" + name + "}"
    elif kind and kind.startswith("lang:"):
        column["lang"] = kind[5:]
    elif kind and kind != "iri":
        column["datatype"] = kind
    if about:
        column["aboutUrl"] = about
    return column


def csvw_metadata(dataset, base: str) -> dict:
    """CSV on the Web metadata mapping figures.csv back to the graph's triples."""
    return {
        "@context": [ALL["csvw"], {"@language": "ja"}],
        "url": "figures.csv",
        "dc:title": {"@value": dataset.description["title_en"] + " - figures", "@language": "en"},
        "dc:license": {"@id": dataset.description["licence"]},
        "tableSchema": {
            "columns": [_column(*column) for column in COLUMNS],
            "primaryKey": ["figure"],
            "aboutUrl": "{+figure}",
        },
    }


def figures_resource() -> dict:
    """figures.csv as a resource of the Fiscal Data Package (outside its model: mixed units)."""
    types = {"decimal": "number", "integer": "integer", "boolean": "boolean"}
    fields = [{"name": name, "type": types.get(kind or "", "string")} for name, _, kind, _ in COLUMNS]
    return {"name": "figures", "path": "figures.csv", "profile": "tabular-data-resource",
            "title": "Every figure", "format": "csv", "mediatype": media_type("csv"), "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": ["figure"]}}


def _json(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# Column widths in the spreadsheet, in characters (the rest: 14).
WIDTHS = {"figure": 40, "class": 30, "label_ja": 45, "label_en": 50, "fiscal_period": 30, "account": 40,
          "priority": 40, "about": 40, "source": 40, "source_quote": 40, "amount_yen": 18, "change_yen": 16}


def figures_xlsx(rows: list[dict[str, str]]) -> bytes:
    """The rows of figures.csv as a workbook: numbers as numbers, yen with thousands separators."""
    return spreadsheet.workbook([(name, kind, WIDTHS.get(name, 14)) for name, _, kind, _ in COLUMNS], rows)


def write(triples, dataset, folder: Path, base: str) -> None:
    """figures.csv, figures.xlsx, figures.csv-metadata.json, the cubes as FDP tables
    (cube-*.csv) and datapackage.json into folder."""
    rows = figure_rows(triples)
    (folder / "figures.csv").write_bytes(figures_csv(rows))
    (folder / "figures.xlsx").write_bytes(figures_xlsx(rows))
    (folder / "figures.csv-metadata.json").write_bytes(_json(csvw_metadata(dataset, base)))
    cubes = fiscal.tables(triples, mint(base, "dataset", dataset=dataset.key))
    for table in cubes:
        (folder / table.file).write_bytes(fiscal.table_csv(table))
    (folder / "datapackage.json").write_bytes(_json(fiscal.datapackage(dataset, cubes, figures_resource())))
