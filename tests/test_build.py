"""`zaisei build`: reproducible, complete, atomic."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from support.paths import ROOT, SOURCES, need_tool, run_cli
from zaisei.publication.build import build
from zaisei.publication.project import BuildError, Project
from zaisei.rdf.render import render
from zaisei.rdf.store import parse

pytestmark = pytest.mark.slow


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _verify_sums(folder: Path) -> None:
    """Every file listed in SHA256SUMS is there with its checksum, and nothing else."""
    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    present = {n for n in _files(folder) if n != "SHA256SUMS"}
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_committed_output_is_byte_identical_to_a_fresh_build(published):
    committed = ROOT / "output"
    assert committed.is_dir(), "output/ must be committed"
    fresh, kept = _files(published), _files(committed)
    assert sorted(fresh) == sorted(kept)
    changed = [name for name in fresh if fresh[name] != kept[name]]
    assert changed == [], "output/ differs from a fresh build: run `zaisei build` and commit"


def test_two_builds_are_byte_identical(published, tmp_path):
    again = tmp_path / "output"
    build(Project(output=again))
    assert _files(again) == _files(published)


def test_checksums_cover_every_file(published):
    _verify_sums(published)


def test_failed_reconcile_leaves_previous_output_untouched(published, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(published, output)
    before = _files(output)
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    budget = sources / "minato-2021" / "budget.csv"
    budget.write_text(budget.read_text(encoding="utf-8").replace("162410000000", "162410100000"), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(Project(sources=sources, output=output))
    assert "budget.csv:4:amount_yen" in str(caught.value)
    assert _files(output) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == []


def test_shape_violation_refuses_to_publish(published, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(published, output)
    before = _files(output)
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    budget = mappings / "50-budget.rq"
    # A mapping mistake: amounts typed as xsd:double. Reconcile cannot see it; the shapes must.
    budget.write_text(budget.read_text(encoding="utf-8").replace(
        "STRDT(?amount_yen, xsd:decimal)", "STRDT(?amount_yen, xsd:double)"), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(Project(output=output, mappings=mappings))
    assert "does not conform" in str(caught.value)
    assert _files(output) == before


def test_cli_json_summary_and_exit_codes(tmp_path):
    output = tmp_path / "output"
    result = run_cli("build", "--output", str(output), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["datasets"]["minato-2021"]["triples"] > 4000
    assert "validation" in summary["datasets"]["minato-2021"]["seconds"]
    assert run_cli("build", "no-such-dataset", "--output", str(output)).returncode == 2


def test_build_killed_at_random_moments_never_leaves_a_half_written_output(published, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(published, output)
    rng = random.Random(20211)
    for _ in range(5):
        process = subprocess.Popen([sys.executable, "-m", "zaisei.cli", "build", "--quiet", "--output", str(output)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 3.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        _verify_sums(output)
    assert _files(output) == _files(published)


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_every_dump_parses_to_the_same_graph(published):
    folder = published / "minato-2021"
    reference = rdflib.Graph().parse(folder / "minato-2021.ttl", format="turtle")
    others = {
        "jsonld": rdflib.Graph().parse(folder / "minato-2021.jsonld", format="json-ld"),
        "rdfxml": rdflib.Graph().parse(folder / "minato-2021.rdf", format="xml"),
        "ntriples": rdflib.Graph().parse(data=gzip.decompress((folder / "minato-2021.nt.gz").read_bytes()), format="nt"),
    }
    # rdflib's Dataset API is mid-deprecation; read the TriG with pyoxigraph and compare in rdflib.
    quads = parse((published / "all.trig").read_bytes(), "trig")
    named = [q.triple for q in quads if q.graph_name.value == "https://w3id.org/zaisei/id/minato-2021"]
    others["trig"] = rdflib.Graph().parse(data=render(named, "ntriples"), format="nt")
    for name, graph in others.items():
        assert isomorphic(graph, reference), name


@pytest.mark.parametrize("name, syntax", [("minato-2021.ttl", "turtle"), ("minato-2021.rdf", "rdfxml"),
                                          ("../all.trig", "trig")])
def test_rapper_reads_the_dumps(published, name, syntax):
    rapper = need_tool("rapper")
    path = published / "minato-2021" / name
    counted = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True)
    assert counted.returncode == 0, counted.stderr
    if syntax == "trig":
        count = len(parse(path.read_bytes(), "trig"))
    else:
        count = len(rdflib.Graph().parse(path, format={"turtle": "turtle", "rdfxml": "xml"}[syntax]))
    assert f"returned {count} triples" in counted.stderr


def _simplify(obj, flatten_list=False):
    """csvw 4.1's jsonld.to_json with its bug fixed: a typed @value (a float) was passed to len()."""
    if isinstance(obj, dict) and "@value" in obj:
        obj = obj["@value"]
    if isinstance(obj, dict) and len(obj) == 1 and "@id" in obj:
        obj = obj["@id"]
    if isinstance(obj, dict):
        return {"@type" if k == "rdf:type" else k: _simplify(v, flatten_list) for k, v in obj.items()}
    if isinstance(obj, list):
        if len(obj) == 1 and flatten_list:
            return _simplify(obj[0], flatten_list)
        return [_simplify(v, flatten_list) for v in obj]
    return obj


def test_csv_loads_through_its_csvw_metadata_to_the_same_figures(published, monkeypatch):
    import csvw.jsonld
    from csvw import CSVW

    monkeypatch.setattr(csvw.jsonld, "to_json", _simplify)

    folder = published / "minato-2021"
    rows = CSVW(str(folder / "figures.csv-metadata.json")).to_json(minimal=True)
    graph = rdflib.Graph().parse(folder / "minato-2021.ttl", format="turtle")
    amount = rdflib.URIRef("https://w3id.org/zaisei/def/amount")
    from_csv = {(row["@id"], Decimal(str(row[str(amount)]))) for row in rows if str(amount) in row}
    from_rdf = {(str(s), Decimal(str(o))) for s, o in graph.subject_objects(amount)}
    assert from_csv == from_rdf and len(from_rdf) == 40


def test_query_cli_answers_against_the_built_graph(published):
    query = """PREFIX zs: <https://w3id.org/zaisei/def/>
      PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
      SELECT (SUM(?a) AS ?total) WHERE { ?f a zs:AccountFigure ; zs:amount ?a ; zs:account/skos:broader ?all ;
        zs:budget <https://w3id.org/zaisei/id/minato-2021/budget> ;
        <http://data.openbudgets.eu/ontology/dsd/dimension/fiscalPeriod> <https://w3id.org/zaisei/id/fiscal-year/2021> }"""
    result = run_cli("query", query, "--output", str(published), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["total", "208391749000"]
    refused = run_cli("query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "--output", str(published))
    assert refused.returncode == 2 and "SERVICE" in refused.stderr


# -- the fast paths write exactly what the plain ones did --------------------------

def _jsonld_by_json_dumps(triples, prefixes) -> bytes:
    """render.jsonld as it was before it wrote its text itself: a document through json.dumps."""
    from zaisei.rdf.render import _RDF_TYPE, _compact
    from zaisei.rdf.store import sort_key

    def value(term):
        if type(term).__name__ == "NamedNode":
            return {"@id": term.value}
        if type(term).__name__ == "BlankNode":
            return {"@id": f"_:{term.value}"}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            return term.value
        return {"@value": term.value, "@type": _compact(term.datatype.value, prefixes)}

    nodes = {}
    for t in sorted(triples, key=sort_key):
        subject = t.subject.value if type(t.subject).__name__ == "NamedNode" else f"_:{t.subject.value}"
        node = nodes.setdefault(subject, {"@id": subject})
        if t.predicate.value == _RDF_TYPE and type(t.object).__name__ == "NamedNode":
            node.setdefault("@type", []).append(_compact(t.object.value, prefixes))
        else:
            node.setdefault(_compact(t.predicate.value, prefixes), []).append(value(t.object))
    document = {"@context": dict(prefixes), "@graph": list(nodes.values())}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def test_jsonld_text_is_what_json_dumps_gives(published):
    import pyoxigraph as ox

    from zaisei.rdf.namespaces import PREFIXES

    from zaisei.rdf.render import jsonld

    ex, rdf_type = "http://example.org/", PREFIXES["rdf"] + "type"
    odd = ['a"b\\c\n\t\r\x01\u2028', "日本語", "", "\x7f", "</script>"]
    triples = []
    for i, text in enumerate(odd):
        s, p = ox.NamedNode(f"{ex}s{i % 2}"), ox.NamedNode(f"{ex}p")
        triples += [ox.Triple(s, p, ox.Literal(text)), ox.Triple(s, p, ox.Literal(text, language="ja")),
                    ox.Triple(s, ox.NamedNode(ex + "q#x"), ox.Literal(text, datatype=ox.NamedNode(ex + "dt"))),
                    ox.Triple(ox.BlankNode(f"b{i}"), ox.NamedNode(rdf_type), ox.BlankNode("c")),
                    ox.Triple(s, ox.NamedNode(rdf_type), ox.Literal("not a class")),
                    ox.Triple(s, ox.NamedNode(rdf_type), ox.NamedNode(f"{ex}C{i}"))]
    real = parse(gzip.decompress((published / "minato-2021" / "minato-2021.nt.gz").read_bytes()), "ntriples")
    for sample, prefixes in [(triples, PREFIXES), (triples, {"ex": ex}), (triples, {}), ([], PREFIXES),
                             (real, PREFIXES)]:
        assert jsonld(sample, prefixes) == _jsonld_by_json_dumps(sample, prefixes)


def test_validation_graph_is_the_parsed_ntriples(published):
    """The data graph handed to pyshacl, built term by term, is the one rdflib's parser built."""
    from zaisei.rdf.store import sort_key
    from zaisei.validation.shacl import rdflib_graph

    dump = gzip.decompress((published / "minato-2021" / "minato-2021.nt.gz").read_bytes())
    ordered = sorted(parse(dump, "ntriples"), key=sort_key)
    parsed, built = list(rdflib.Graph().parse(data=dump, format="nt")), list(rdflib_graph(ordered))
    assert parsed == built  # the same triples in the same order
    for a, b in zip(parsed, built):
        for x, y in zip(a, b):
            assert (type(x), str(x), getattr(x, "language", None), getattr(x, "datatype", None)) == \
                   (type(y), str(y), getattr(y, "language", None), getattr(y, "datatype", None))
