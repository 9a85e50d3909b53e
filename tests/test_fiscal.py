"""The Fiscal Data Package a viewer can sum: frictionless validates it (metadata against the
specification's model rules, and every resource's data), its references resolve, and the leaf
rows of the accounts cube add up to the budget's total, never more."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal

import pytest
from frictionless import FrictionlessException, Package, system

from support.paths import FIXTURES, ROOT
from zaisei.rdf.store import GraphStore

PACKAGES = sorted((ROOT / "output").glob("*/datapackage.json"))
SCHEMA = FIXTURES / "fdp" / "fiscal-data-package.schema.json"


def _descriptor(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.parent.name)
def test_frictionless_validates_the_fiscal_data_package(package, tmp_path):
    """The profile is fiscal-data-package; frictionless would fetch its schema from the web, so
    the copy under test names the local one (written from the specification)."""
    folder = shutil.copytree(package.parent, tmp_path / package.parent.name)
    descriptor = _descriptor(package)
    assert descriptor["profile"] == "fiscal-data-package"
    shutil.copy(SCHEMA, folder / "fdp.schema.json")
    (folder / "datapackage.json").write_text(json.dumps({**descriptor, "profile": str(folder / "fdp.schema.json")}), encoding="utf-8")
    with system.use_context(trusted=True):
        report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])[:10]


def test_the_schema_rejects_what_the_specification_forbids(tmp_path):
    """The local schema is not vacuous: a measure without currency and an unknown phase fail."""
    folder = shutil.copytree(PACKAGES[0].parent, tmp_path / "broken")
    descriptor = _descriptor(PACKAGES[0])
    measure = next(iter(descriptor["model"]["measures"].values()))
    measure.pop("currency")
    measure["phase"] = "draft"
    shutil.copy(SCHEMA, folder / "fdp.schema.json")
    (folder / "datapackage.json").write_text(json.dumps({**descriptor, "profile": str(folder / "fdp.schema.json")}), encoding="utf-8")
    with system.use_context(trusted=True), pytest.raises(FrictionlessException) as refused:
        Package(str(folder / "datapackage.json")).validate()
    notes = " ".join(str(reason) for reason in refused.value.reasons)
    assert "'currency' is a required property" in notes and "'draft' is not one of" in notes


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.parent.name)
def test_every_reference_of_the_model_resolves(package):
    descriptor = _descriptor(package)
    fields = {r["name"]: {f["name"] for f in r["schema"]["fields"]} for r in descriptor["resources"]}
    model = descriptor["model"]
    for name, measure in model["measures"].items():
        assert measure["source"] in fields[measure["resource"]], name
        assert measure["currency"] == "JPY" and measure["direction"] and measure["phase"]
    for name, dimension in model["dimensions"].items():
        attributes = dimension["attributes"]
        for attribute in attributes.values():
            assert attribute["source"] in fields[attribute["resource"]], name
            assert attribute.get("parent", next(iter(attributes))) in attributes
            assert attribute.get("labelfor", next(iter(attributes))) in attributes
        assert any("parent" in a for a in attributes.values()) and any("labelfor" in a for a in attributes.values())


# The money cubes whose leaf rows a viewer sums: resource -> (figure class, classification).
SUMMED = {"accounts": ("AccountFigure", "account"), "revenue": ("RevenueFigure", "revenueCategory"),
          "expenditure": ("ExpenditureFigure", "expenditureCategory")}


def _totals(package, figure_class: str, dimension: str) -> dict[str, Decimal]:
    """Each year's figure of the cube's top value (no broader value): the total the table states."""
    store = GraphStore()
    store.load(package.parent / f"{package.parent.name}.ttl", "turtle")
    return {r["year"].value: Decimal(r["amount"].value) for r in store.select(f"""
        PREFIX zs: <https://w3id.org/zaisei/def/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
        SELECT ?year ?amount WHERE {{ ?f a zs:{figure_class} ; zs:{dimension} ?a ; zs:amount ?amount ;
          obeu-dimension:fiscalPeriod ?fy . FILTER NOT EXISTS {{ ?a skos:broader ?up }}
          BIND(STRAFTER(STR(?fy), "/fiscal-year/") AS ?year) }}""")}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.parent.name)
def test_the_leaf_rows_of_a_year_sum_to_the_budget_total_never_more(package):
    """Summed as a viewer sums a measure: each money cube's rows (accounts, revenue or expenditure
    by category) for each year equal the total figure of the graph, and never exceed it."""
    descriptor = _descriptor(package)
    summed_cubes = [r for r in descriptor["resources"] if r["name"] in SUMMED]
    assert summed_cubes, package
    for resource in summed_cubes:
        totals = _totals(package, *SUMMED[resource["name"]])
        with (package.parent / resource["path"]).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for name, measure in descriptor["model"]["measures"].items():
            if measure["resource"] != resource["name"]:
                continue
            year = name.rsplit("_fy", 1)[1]
            summed = sum(Decimal(row[measure["source"]]) for row in rows if row[measure["source"]])
            assert summed == totals[year], (resource["name"], year, summed, totals[year])
        if package.parent.name == "minato-2021":
            assert totals["2021"] == Decimal("208391749000")
