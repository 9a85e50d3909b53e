"""The front process's share of the work (engine/cheap.py): which queries it answers without a
probe, and that its answers (and refusals) are the workers' bytes."""

from __future__ import annotations

import pytest

from support.outputs import tiny_output
from zaisei.serving.engine import Job, LocalEngine
from zaisei.serving.query import QueryError
from zaisei.serving.engine.cheap import CHEAP_ROWS, cheap_pattern
from zaisei.serving.published import Publication

GRAPH = "http://example.org/graph/a"
DATA = "".join(f'<http://example.org/s{n % 30}> <http://example.org/p{n % 7}> "値 {n}"@ja .\n' for n in range(120))


@pytest.mark.parametrize("query, streams", [
    ("ASK { ?s ?p ?o }", True),
    ("SELECT ?p ?o WHERE { <http://x/s> ?p ?o }", True),
    ("SELECT * { ?s ?p ?o } LIMIT 5 OFFSET 20", True),
    (f"SELECT * {{ ?s ?p ?o }} OFFSET {CHEAP_ROWS}", False),     # skipping that many is work
    ("SELECT DISTINCT ?p { ?s ?p ?o }", False),                   # few rows from many matches
    ("SELECT REDUCED ?p { ?s ?p ?o }", False),
    ("SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1", False),        # sorts every match first
    ("DESCRIBE <http://x/s>", False),
])
def test_which_cheap_queries_need_no_probe(query, streams):
    assert cheap_pattern(query).streams is streams


@pytest.fixture(scope="module")
def engines():
    """The same publication twice: with the front's own store (cheap queries in-process), and
    without it (every query in a worker)."""
    output = tiny_output({GRAPH: DATA})
    front = LocalEngine(output, size=1, timeout=10, store=Publication(output).store)
    workers = LocalEngine(output, size=1, timeout=10)
    yield front, workers
    front.close()
    workers.close()


def _outcome(engine, job: Job):
    try:
        answer = engine.run(job)
        return answer.body, answer.rows, answer.encoding
    except QueryError as exc:
        return type(exc).__name__, exc.status, str(exc)


@pytest.mark.parametrize("query, fmt", [
    ("SELECT ?p ?o WHERE { <http://example.org/s3> ?p ?o }", "json"),
    ("SELECT ?p ?o WHERE { <http://example.org/s3> ?p ?o }", "csv"),
    ("ASK { ?s <http://example.org/p6> ?o }", "xml"),
    ("SELECT * { ?s ?p ?o } LIMIT 5 OFFSET 3", "tsv"),
    ("SELECT * { ?s ?p ?o }", "json"),                      # 120 rows: past max_results (50), refused alike
    ("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3", "json"),
])
@pytest.mark.parametrize("gzip_from", [None, 16])
def test_the_front_answers_as_a_worker_does(engines, query, fmt, gzip_from):
    front, workers = engines
    before = front.in_process
    job = Job(query, results_format=fmt, max_results=50, gzip_from=gzip_from)
    assert _outcome(front, job) == _outcome(workers, job)
    assert front.in_process == before + 1 and workers.in_process == 0


def test_two_front_processes_share_out_the_workers():
    """--front-processes 2: two server processes on one port, each with half the query workers
    (so no more workers than one process would start), both answering."""
    from support.servers import Served
    import json
    import urllib.request

    served = Served(tiny_output({GRAPH: DATA}), "--front-processes", "2", "--sparql-workers", "2")
    try:
        fronts = [pid for pid in served.tree() if pid != served.pid and "zaisei" in _command(pid)]
        sizes = set()
        for _ in range(20):   # new connections: the kernel hands them to either process
            with urllib.request.urlopen(served.url + "/healthz/engine", timeout=10) as answer:
                sizes.add(json.loads(answer.read())["size"])
        assert len(fronts) == 2 and sizes == {1}
    finally:
        served.process.terminate()   # two processes to stop: more than stop()'s 10 s on a loaded machine
        served.process.wait(timeout=60)
        served.stop()


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().decode(errors="replace")
    except OSError:
        return ""
