"""The w3id.org rules the project would submit (docs/w3id/.htaccess): every IRI of the built
publication is redirected to a path `zaisei serve` answers, with the code its kind needs."""

from __future__ import annotations

import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from support.paths import ROOT
from zaisei.graph.iris import ONTOLOGY
from zaisei.publication.project import Project
from zaisei.rdf.store import GraphStore

HTACCESS = ROOT / "docs" / "w3id" / ".htaccess"
BASE = Project().base
HOST = "https://zaisei.example.org"


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    target: str
    code: int

    def apply(self, path: str) -> str | None:
        match = self.pattern.match(path)
        if match is None:
            return None
        return re.sub(r"\$(\d)", lambda m: match.group(int(m.group(1))) or "", self.target)


def _rules() -> list[Rule]:
    rules = []
    for line in HTACCESS.read_text().splitlines():
        if line.startswith("RewriteRule "):
            _, pattern, target, flags = line.split()
            rules.append(Rule(re.compile(pattern), target, int(re.search(r"R=(\d+)", flags).group(1))))
    return rules


def redirect(iri: str) -> tuple[str, int]:
    """Where w3id.org sends an IRI under BASE (Apache: the path after the folder, first rule wins)."""
    path, _, query = iri.removeprefix(BASE + "/").partition("?")
    for rule in _rules():
        target = rule.apply(path)
        if target is not None:
            return target + ("?" + query if query else ""), rule.code
    raise AssertionError(f"no rule for {iri}")


@pytest.fixture(scope="module")
def iris_published(published) -> list[str]:
    store = GraphStore()
    store.load_bytes(gzip.decompress((published / "all.nq.gz").read_bytes()), "nquads")
    for name in ("catalog.ttl", "void.ttl"):
        store.load(published / name, "turtle")
    rows = store.select("SELECT DISTINCT ?t WHERE { { ?t ?p ?o } UNION { ?s ?t ?o } UNION { ?s ?p ?t } FILTER(isIRI(?t)) }")
    return sorted(r["t"].value for r in rows if r["t"].value.startswith(BASE + "/") or r["t"].value == BASE + "/")


def test_rules_send_each_kind_with_its_code():
    assert redirect(BASE + "/id/minato-2021/account/general") == (HOST + "/doc/minato-2021/account/general", 303)
    assert redirect(ONTOLOGY + "/Budget")[1] == 303
    assert redirect(BASE + "/sparql?query=ASK%7B%7D") == (HOST + "/sparql?query=ASK%7B%7D", 307)
    assert redirect(BASE + "/download/minato-2021/figures.csv") == (HOST + "/download/minato-2021/figures.csv", 302)
    assert redirect(BASE + "/") == (HOST + "/", 302)
    assert all(rule.target.startswith(HOST + "/") for rule in _rules())


@pytest.mark.slow
def test_every_published_iri_lands_on_a_page_the_server_answers(server, iris_published):
    """The rules applied to each IRI of the data, the catalog and VoID; the target path asked of
    a live server, as a client following the redirect would."""
    assert len(iris_published) > 500 and any(i.startswith(ONTOLOGY) for i in iris_published)

    def problem(iri: str) -> str | None:
        target, _ = redirect(iri)
        answer = requests.head(server.url + target.removeprefix(HOST), headers={"Accept": "text/turtle"})
        return None if answer.status_code == 200 else f"{iri} -> {target}: {answer.status_code}"

    with ThreadPoolExecutor(4) as pool:
        assert [p for p in pool.map(problem, iris_published) if p] == []
