"""No query makes the server fetch a URL (issue 13, item 1): the check and, behind it, the sandbox.

A listener on loopback plays a SPARQL endpoint and counts connections. Every variant of the
issue's bypass, over GET, form POST, direct POST and CONSTRUCT, and through `zaisei query`, must
make 0 connections. Then the check is bypassed on purpose (a Job handed to the engine directly,
and a query run in a confined process): the workers still cannot connect.
"""

from __future__ import annotations

import pytest

import json
import subprocess
import sys
import urllib.parse


from support.paths import ROOT
from support.servers import get, raw
from support.servers import Listener
from zaisei.serving.engine import Job, LocalEngine

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

BYPASSES = [
    "SELECT * {{ ?s ?p ?o.SERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
    "SELECT * {{ ?s ?p $o.SERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
    "SELECT * {{ ?s ?p true.SERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
    "SELECT * {{ ?s ?p ?o.SERVICE SILENT <{url}sparql> {{ ?x ?y ?leak }} }}",
    "SELECT * {{ ?s ?p ?o trueSERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
    "CONSTRUCT {{ ?x ?y ?leak }} WHERE {{ ?s ?p ?o.SERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
    "PREFIX ex: <{url}> SELECT * {{ ?s ?p ?o . SERVICEex:sparql {{ ?x ?y ?leak }} }}",
    "SELECT * {{ ?s ?p ?o.\\u0053ERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
    "SELECT * {{ SERVICE <{url}sparql> {{ ?x ?y ?leak }} }}",
]


def _requests(query: str, port: int) -> list[bytes]:
    encoded = urllib.parse.urlencode({"query": query})
    return [get("/sparql?" + encoded), get("/sparql", "Content-Type: application/x-www-form-urlencoded",
                                          method="POST", body=encoded.encode()),
            get("/sparql", "Content-Type: application/sparql-query", method="POST", body=query.encode())]


def test_no_variant_of_service_reaches_the_listener(server):
    listener = Listener()
    for template in BYPASSES:
        query = template.format(url=listener.url)
        for request in _requests(query, server.port):
            answer = raw(server.port, request)
            assert answer.status == 400 and b"SERVICE is refused" in answer.body, (query, answer.body[:200])
    assert listener.close() == 0


def test_zaisei_query_refuses_them_too(published):
    listener = Listener()
    for template in BYPASSES[:3]:
        done = subprocess.run([sys.executable, "-m", "zaisei.cli", "query", "--output", str(published),
                               template.format(url=listener.url)], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 2 and "SERVICE is refused" in done.stderr
    assert listener.close() == 0


def test_the_workers_cannot_connect_even_when_the_check_is_skipped(published):
    """The second defence: a Job handed straight to the engine (no inspect()) still connects nowhere."""
    listener = Listener()
    engine = LocalEngine(published, size=1, timeout=5)
    try:
        for template in BYPASSES:
            query = template.format(url=listener.url).replace("\\u0053", "S")
            try:
                answer = engine.run(Job(query))
                body = answer.body
            except Exception as exc:  # noqa: BLE001 - any refusal will do; only the listener's count matters
                body = str(exc).encode()
            assert b'"leak":{' not in body, body[:200]   # a binding of ?leak would come from the listener
        assert engine.sandbox == "seccomp" or engine.sandbox == "network namespace", engine.sandbox
    finally:
        engine.close()
    assert listener.close() == 0


def test_the_sandbox_is_reported_by_healthz(server):
    raw(server.port, get("/sparql?query=ASK%7B%7D"))   # the engine starts with the first query
    health = json.loads(raw(server.port, get("/healthz/engine")).body)
    assert health["sandbox"] in ("seccomp", "network namespace")


def test_a_confined_process_cannot_open_an_internet_socket():
    code = ("import socket, sys; from zaisei.serving.engine.sandbox import confine; how = confine(); "
            "s = None\ntry:\n s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=1)\n"
            "except OSError as e:\n print(how, e.errno)\nelse:\n print(how, 'connected')")
    listener = Listener()
    done = subprocess.run([sys.executable, "-c", code, str(listener.port)], capture_output=True, text=True,
                          timeout=30)
    how, outcome = done.stdout.split()
    assert how in ("seccomp", "network namespace") and outcome != "connected"
    assert listener.close() == 0
