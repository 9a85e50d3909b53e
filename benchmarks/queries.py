"""The fixed query mix, with its parameters taken from the generator (not from the data).

Two aggregates over everything (every municipality and year), two small
look-ups inside one city-year, one DESCRIBE. Every engine answers exactly
these strings over the union of the named graphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from zaisei.settings import publication_settings

from .generate import FIRST_YEAR, municipalities

PREFIXES = """PREFIX zs: <https://w3id.org/zaisei/def/>
PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
SOLUTIONS = "application/sparql-results+json"
TRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Query:
    name: str
    kind: str  # "aggregate" or "small": the targets differ
    text: str
    accept: str = SOLUTIONS


BASE = publication_settings().get("base", "https://w3id.org/zaisei")   # what `zaisei build` mints under


def mix(years: int, base: str = BASE, seed: int = 7) -> list[Query]:
    """The five queries for data of `years` fiscal years (at least two for the comparison)."""
    town = municipalities(1, seed)[0]
    last = FIRST_YEAR + years - 1
    dataset = f"{base}/id/{town.key(last)}"
    fiscal = f"{base}/id/fiscal-year/"
    return [
        Query("total per city-year", "aggregate", PREFIXES + """
SELECT ?org ?fy (SUM(?amount) AS ?total) WHERE {
  ?budget zs:fiscalYear ?fy .
  ?figure a zs:AccountFigure ; zs:budget ?budget ; obeu-dimension:fiscalPeriod ?fy ;
          obeu-dimension:organization ?org ; zs:account ?account ; zs:amount ?amount .
  ?account skos:broader ?all .
} GROUP BY ?org ?fy ORDER BY ?org ?fy"""),
        Query("top 10 initiatives", "small", PREFIXES + f"""
SELECT ?initiative ?label ?amount WHERE {{
  ?figure a zs:PriorityFigure ; zs:budget <{dataset}/budget> ; zs:priority ?initiative ; zs:amount ?amount .
  ?initiative a zs:Initiative ; skos:prefLabel ?label . FILTER(LANG(?label) = "ja")
}} ORDER BY DESC(?amount) LIMIT 10"""),
        Query("initiatives of a pillar", "small", PREFIXES + f"""
SELECT ?initiative ?ja ?en ?amount WHERE {{
  ?initiative skos:broader <{dataset}/priority/pillar-1> ; skos:prefLabel ?ja, ?en .
  FILTER(LANG(?ja) = "ja" && LANG(?en) = "en")
  OPTIONAL {{ ?figure zs:priority ?initiative ; zs:amount ?amount }}
}} ORDER BY ?initiative"""),
        Query("describe", "small", f"DESCRIBE <{dataset}/priority/initiative-1-1>", TRIPLES),
        Query("year over year, all cities", "aggregate", PREFIXES + f"""
SELECT ?org ?now ?before ((?now - ?before) AS ?change) WHERE {{
  ?b1 zs:fiscalYear <{fiscal}{last}> ; obeu-dimension:organization ?org .
  ?f1 zs:budget ?b1 ; obeu-dimension:fiscalPeriod <{fiscal}{last}> ; zs:account ?a1 ; zs:amount ?now .
  ?a1 dcterms:identifier "general" .
  ?b0 zs:fiscalYear <{fiscal}{last - 1}> ; obeu-dimension:organization ?org .
  ?f0 zs:budget ?b0 ; obeu-dimension:fiscalPeriod <{fiscal}{last - 1}> ; zs:account ?a0 ; zs:amount ?before .
  ?a0 dcterms:identifier "general" .
}} ORDER BY DESC(?change)"""),
    ]


def small(years: int, base: str = BASE, seed: int = 7) -> Query:
    """The small query for the throughput runs."""
    return mix(years, base, seed)[2]


def ready(base: str = BASE) -> str:
    """A trivial query: the first answer to it marks start-up done."""
    return "ASK { ?s ?p ?o }"
