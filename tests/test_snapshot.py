"""Persisted stores (`--store`): made once per output version, opened read-only, same answers.

Each test uses the committed output/ (or a copy of it to damage) and a store folder
of its own; servers are real (waitress on loopback, `zaisei serve` subprocesses).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from support.servers import Served
from support.paths import ROOT, run_cli
from support.servers import LiveServer

from zaisei.serving.engine import Job
from zaisei.serving.published import Publication, PublicationError
from zaisei.serving.snapshot import KEEP, make, open_snapshot, prune

pytestmark = pytest.mark.slow

OUTPUT = ROOT / "output"
TOTAL = """PREFIX zs: <https://w3id.org/zaisei/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
SELECT ?total WHERE {
  ?f a zs:AccountFigure ; zs:account ?account ; zs:amount ?total ;
     zs:budget <https://w3id.org/zaisei/id/minato-2021/budget> ;
     obeu-dimension:fiscalPeriod <https://w3id.org/zaisei/id/fiscal-year/2021> .
  ?account dcterms:identifier "total" .
}"""
# The FY2021 total of all accounts, from the reviewed table (document line 282).
EXPECTED = next(row["amount_yen"] for row in csv.DictReader(
    (ROOT / "sources" / "minato-2021" / "budget.csv").read_text(encoding="utf-8").splitlines())
    if row["key"] == "total-2021")


def quads(store) -> list[str]:
    """Every quad as a sorted N-Quads line, to compare two stores exactly."""
    return sorted(str(q) for q in store._store)


def output_copy(tmp_path: Path) -> Path:
    target = tmp_path / "output"
    shutil.copytree(OUTPUT, target)
    return target


def test_a_snapshot_holds_exactly_what_the_in_memory_load_holds(tmp_path):
    in_memory = Publication(OUTPUT)
    persisted = Publication(OUTPUT, tmp_path / "stores")
    assert persisted.snapshot == tmp_path / "stores" / persisted.version
    assert persisted.snapshot.is_dir() and in_memory.snapshot is None
    assert quads(persisted.store) == quads(in_memory.store)
    assert persisted.graphs == in_memory.graphs
    # the ontology, catalog and VoID graphs are in it, as in memory
    assert "https://w3id.org/zaisei/def" in persisted.graphs and any(g.endswith("/catalog") for g in persisted.graphs)


def test_a_snapshot_is_made_once_and_then_only_opened(tmp_path):
    first = Publication(OUTPUT, tmp_path / "stores")
    files = {p: p.stat().st_mtime_ns for p in first.snapshot.rglob("*") if p.is_file()}
    del first
    again = Publication(OUTPUT, tmp_path / "stores")
    assert {p: p.stat().st_mtime_ns for p in again.snapshot.rglob("*") if p.is_file()} == files
    assert [p.name for p in (tmp_path / "stores").iterdir()] == [again.version]


def test_a_snapshot_of_another_version_is_never_opened(tmp_path):
    stores = tmp_path / "stores"
    old = Publication(OUTPUT, stores)
    output = output_copy(tmp_path)
    # A new build: one figure changed; its checksums, hence its version, change with it.
    dump = output / "all.nq.gz"
    text = gzip.decompress(dump.read_bytes()).replace(b'"208391749000"', b'"208391750000"', 1)
    assert b'"208391750000"' in text
    dump.write_bytes(gzip.compress(text, mtime=0))
    sums = (output / "SHA256SUMS").read_text()
    import hashlib

    new_sum = hashlib.sha256(dump.read_bytes()).hexdigest()
    sums = "\n".join(f"{new_sum}  all.nq.gz" if line.endswith("  all.nq.gz") else line for line in sums.splitlines())
    (output / "SHA256SUMS").write_text(sums + "\n")
    new = Publication(output, stores)
    assert new.version != old.version and new.snapshot != old.snapshot
    amounts = {row["total"].value for row in new.select(TOTAL)}
    assert amounts != {row["total"].value for row in old.select(TOTAL)}


def test_a_damaged_output_is_refused_even_with_a_snapshot_of_it(tmp_path):
    output = output_copy(tmp_path)
    Publication(output, tmp_path / "stores")
    data = bytearray((output / "catalog.ttl").read_bytes())
    data[100] ^= 1
    (output / "catalog.ttl").write_bytes(bytes(data))
    with pytest.raises(PublicationError, match="catalog.ttl: corrupt"):
        Publication(output, tmp_path / "stores")


def test_a_failed_fill_leaves_no_snapshot_and_the_next_open_makes_it(tmp_path):
    def failing(store):
        store.load_bytes(b"<http://a> <http://b> <http://c> .\n", "nquads")
        raise OSError("disk full")

    with pytest.raises(OSError):
        make(tmp_path, "v1", failing)
    assert list(tmp_path.iterdir()) == []   # neither v1 nor its staging folder
    store = open_snapshot(tmp_path, "v1", lambda s: s.load_bytes(b"<http://a> <http://b> <http://c> .\n", "nquads"))
    assert len(store) == 1


def test_two_processes_making_the_same_snapshot_both_end_with_it(tmp_path):
    fill = lambda s: s.load_bytes(b"<http://a> <http://b> <http://c> .\n", "nquads")  # noqa: E731
    make(tmp_path, "v1", fill)
    # The second maker finds the name taken when it renames: it keeps the first, drops its own.
    make(tmp_path, "v1", fill)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1"]


def test_old_snapshots_are_pruned_but_the_current_one_is_kept(tmp_path):
    fill = lambda s: s.load_bytes(b"<http://a> <http://b> <http://c> .\n", "nquads")  # noqa: E731
    for number, version in enumerate(["v1", "v2", "v3", "v4"]):
        make(tmp_path, version, fill)
        os.utime(tmp_path / version, (1000 + number, 1000 + number))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v3", "v4"][-KEEP:]
    # A server still on an old version keeps it: the current one is never pruned.
    (tmp_path / "v0").mkdir()
    os.utime(tmp_path / "v0", (1, 1))
    crashed = tmp_path / ".v5.abc"   # a staging folder left by a crash a long time ago
    crashed.mkdir()
    os.utime(crashed, (1, 1))
    filling = tmp_path / ".v6.abc"   # one being filled right now
    filling.mkdir()
    removed = prune(tmp_path, "v0")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".v6.abc", "v0", "v3", "v4"]
    assert removed == [crashed]


def test_the_engine_answers_from_disk_at_once_then_from_memory(tmp_path):
    server = LiveServer(OUTPUT, store=str(tmp_path / "stores"), sparql_workers=2)
    try:
        first = server.engine.run(Job(TOTAL))
        deadline = time.monotonic() + 60
        while not server.engine.loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.engine.loaded and server.engine.generation == 1
        answers = [server.engine.run(Job(TOTAL)) for _ in range(4)]
        assert {a.body for a in answers} == {first.body}
        assert json.loads(first.body)["results"]["bindings"][0]["total"]["value"] == EXPECTED
        deadline = time.monotonic() + 10   # workers of the old store are replaced as they come back
        while len(server.engine.pids()) != 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(server.engine.pids()) == 2
    finally:
        server.close()


def test_on_disk_mode_never_loads_the_in_memory_copy(tmp_path):
    server = LiveServer(OUTPUT, store=str(tmp_path / "stores"), sparql_workers=2, sparql_in_memory=False)
    try:
        status, _, body = server.request(path="/sparql?" + urllib.parse.urlencode({"query": TOTAL}),
                                         headers={"Accept": "application/sparql-results+json"})
        assert status == 200 and EXPECTED.encode() in body
        time.sleep(1)
        assert not server.engine.loaded and server.engine.generation == 0
    finally:
        server.close()


def test_the_union_includes_the_catalog_as_the_pages_do(tmp_path):
    """FROM <catalog> was accepted before but the engine did not hold it: now it does."""
    server = LiveServer(OUTPUT, store=str(tmp_path / "stores"), sparql_workers=2)
    try:
        catalog = next(g for g in server.app.extensions["zaisei"].graphs if g.endswith("/catalog"))
        query = f"SELECT (COUNT(?d) AS ?n) FROM <{catalog}> WHERE {{ ?d a <http://www.w3.org/ns/dcat#Dataset> }}"
        answer = json.loads(server.engine.run(Job(query, union=False)).body)
        assert int(answer["results"]["bindings"][0]["n"]["value"]) >= 1
    finally:
        server.close()


def test_cli_build_makes_the_store_and_serve_opens_it(tmp_path, published):
    stores = tmp_path / "stores"
    done = run_cli("build", "--output", str(published), "--store", str(stores))
    assert done.returncode == 0, done.stderr
    made = [p for p in stores.iterdir()]
    assert len(made) == 1 and f"persisted store: {made[0]}" in done.stdout
    served = Served(published, "--store", str(stores))
    url = served.url
    try:
        query = urllib.parse.urlencode({"query": TOTAL})
        request = urllib.request.Request(f"{url}/sparql?{query}", headers={"Accept": "text/csv"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.read().decode().splitlines() == ["total", EXPECTED]
        with urllib.request.urlopen(f"{url}/doc/minato-2021", timeout=30) as page:
            assert "港区" in page.read().decode()
    finally:
        served.stop()
    assert [p for p in stores.iterdir()] == made   # opened, not made again
    queried = run_cli("query", "--output", str(published), "--store", str(stores), "--format", "csv", TOTAL)
    assert queried.stdout.splitlines() == ["total", EXPECTED]
