"""Load (issue 8, item 1): 64 concurrent keep-alive connections of mixed traffic on loopback.

`zaisei serve` (default settings) over a fresh build; the mix is SPARQL (the example gallery,
GET and POST, in JSON and CSV, plus queries that differ on every request), HTML pages, RDF
documents (four syntaxes, 303s, the catalog) and downloads (whole, conditional 304, ranges
206, gzip). Zero errors (any status but the expected one, any connection failure), the p99
reported, and memory flat: the mean RSS of the server and its engine processes over the last
WINDOW seconds is at most MARGIN above the mean over the first WINDOW seconds.

The run lasts 15 s in every test run; ZAISEI_LONG=1 makes it the issue's 60 s (with 10 s
windows) - that is the run whose figures docs/reliability.md quotes:

    ZAISEI_LONG=1 python3 -m pytest -q -s tests/test_reliability_load.py
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request

import pytest

from support.figures import mean, report
from support.load import Call, Load
from support.processes import MemoryTrace, MiB
from support.servers import Served
from zaisei.serving.examples import examples

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

LONG = os.environ.get("ZAISEI_LONG") == "1"
SECONDS = 60 if LONG else 15
WINDOW = 10 if LONG else 5
# Long enough for every page, template, label and engine cache of the mix to fill (eight datasets
# take longer than one): what grows after it is what the measurement is about.
WARM_UP = 6
CONNECTIONS = 64
MARGIN = 8 * MiB   # at least; 5 % of the tree's RSS: a leak of 1 KiB per request passes it in ~20 s here


def _mix(url: str) -> list[tuple[int, Call]]:
    def sparql(query: str, accept: str = "application/sparql-results+json") -> Call:
        return Call("sparql", "/sparql?" + urllib.parse.urlencode({"query": query}), (("Accept", accept),))

    gallery = [example.query for example in examples()]
    figures = "/download/minato-2021/figures.csv"
    with urllib.request.urlopen(url + figures) as answer:
        etag = answer.headers["ETag"]
    form = (("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "text/csv"))
    mix = [(2, sparql(query)) for query in gallery]
    mix += [(2, sparql(gallery[0], "text/csv")), (2, sparql(gallery[2], "application/sparql-results+xml")),
            (2, Call("sparql", "/sparql", form, "POST", urllib.parse.urlencode({"query": gallery[1]}).encode())),
            # A different query text every time: no cache keyed on the query may grow for ever.
            (4, sparql("SELECT ?f ?a WHERE { ?f <https://w3id.org/zaisei/def/amount> ?a FILTER(?a > R4ND0M) } "
                       "ORDER BY ?f LIMIT 5")),
            (1, sparql("CONSTRUCT WHERE { ?s a <https://w3id.org/zaisei/def/Account> ; ?p ?o }", "text/turtle"))]
    for path in ("/", "/?lang=en", "/datasets/minato-2021", "/doc/minato-2021/priority/pillar-2",
                 "/doc/minato-2021/figure/account/nhi/2021?lang=en", "/source/minato-2021", "/download/", "/def/",
                 "/doc/minato-2021/budget?x=R4ND0M"):
        mix.append((3, Call("html", path, (("Accept", "text/html"), ("Accept-Encoding", "gzip")))))
    mix.append((2, Call("html", "/doc/minato-2021/nothing-R4ND0M", (("Accept", "text/html"),), expect=(404,))))
    for accept in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"):
        mix.append((3, Call("rdf", "/doc/minato-2021/account/general", (("Accept", accept),))))
    mix += [(3, Call("rdf", "/doc/minato-2021/priority/pillar-3.jsonld")), (2, Call("rdf", "/catalog.ttl")),
            (2, Call("rdf", "/.well-known/void", (("Accept", "text/turtle"),))),
            (3, Call("rdf", "/id/minato-2021/budget", expect=(303,)))]
    for name in ("minato-2021/minato-2021.ttl", "all.nq.gz", "minato-2021/figures.csv", "catalog.jsonld"):
        mix.append((3, Call("download", "/download/" + name)))
    mix += [(3, Call("download", figures, (("If-None-Match", etag),), expect=(304,))),
            (2, Call("download", figures, (("Range", "bytes=100-199"),), expect=(206,))),
            (2, Call("download", "/source/minato-2021/document.txt", (("Accept-Encoding", "gzip"),)))]
    return mix


@pytest.fixture(scope="module")
def load_server(published):
    served = Served(published)
    yield served
    served.stop()


def test_mixed_load_on_64_connections_has_no_errors_and_flat_memory(load_server):
    mix = _mix(load_server.url)
    warm = Load(load_server.url, mix, CONNECTIONS).run(WARM_UP)   # starts the engine, fills templates and pools
    assert warm.errors == [], warm.errors[:5]
    trace = MemoryTrace(load_server.pid, interval=0.25)
    result = Load(load_server.url, mix, CONNECTIONS, seed=9).run(SECONDS)
    trace.stop()
    end = trace.samples[-1][0]
    first, last = trace.window(0, WINDOW), trace.window(end - WINDOW, end)
    report("load-60s" if LONG else "load-15s", {
        "command": "zaisei serve (defaults: 8 threads, 2-4 query workers)",
        "connections": CONNECTIONS, "warm_up_seconds": WARM_UP, **result.figures(),
        "first_errors": result.errors[:10],
        "memory": {"window_seconds": WINDOW, "first_rss_mib": round(mean(s[1] for s in first) / MiB, 1),
                   "last_rss_mib": round(mean(s[1] for s in last) / MiB, 1),
                   "first_pss_mib": round(mean(s[2] for s in first) / MiB, 1),
                   "last_pss_mib": round(mean(s[2] for s in last) / MiB, 1),
                   "peak_rss_mib": round(trace.peak_rss() / MiB, 1), "margin_mib": MARGIN / MiB,
                   "processes": sorted({s[3] for s in trace.samples})}})
    assert result.errors == [], result.errors[:10]
    assert set(result.latencies) == {"sparql", "html", "rdf", "download"}
    assert result.requests > 20 * SECONDS
    growth = mean(s[1] for s in last) - mean(s[1] for s in first)
    margin = max(MARGIN, 0.05 * mean(s[1] for s in first))
    assert growth <= margin, f"RSS grew {growth / MiB:.1f} MiB between the first and last {WINDOW} s"
    assert len({s[3] for s in trace.samples}) == 1, "a process of the server's tree died or was added under load"
