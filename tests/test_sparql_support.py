"""Helpers for the SPARQL tests (imported by tests/test_sparql_*.py), and tests of the helpers.

- minato_output(): the real publication, built once per test process into a temporary folder;
- tiny_output(): a hand-written publication (build.json + all.nq.gz) whose graphs hold given N-Triples;
- LiveServer: the whole app under waitress on 127.0.0.1 and a free port, in a thread;
- Listener: a socket on 127.0.0.1 that records every connection made to it.
"""

from __future__ import annotations

import atexit
import functools
import gzip
import importlib.util
import json
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import waitress

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PROTOCOL = SHARED / "reference" / "w3c-sparql11-protocol" / "protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"


def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="zaisei-sparql-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def minato_output() -> Path:
    """sources/ built into a temporary output/ (once per process); else the committed output/; else skip."""
    if importlib.util.find_spec("zaisei.validate") is not None:
        from zaisei.publication.build import build
        from zaisei.publication.project import Project

        output = _scratch() / "output"
        build(Project(output=output))
        return output
    if (ROOT / "output" / "build.json").exists():
        return ROOT / "output"
    pytest.skip("no publication to serve: zaisei/validate.py (the SHACL step) is not there yet to build one, "
                "and output/ is not committed yet")


def tiny_output(graphs: dict[str, str], base: str = "http://www.example") -> Path:
    """A publication whose named graphs (IRI -> N-Triples text) are exactly the given data."""
    output = _scratch() / "output"
    output.mkdir()
    lines = []
    for graph, ntriples in graphs.items():
        lines += [line.rstrip(" .") + f" <{graph}> .\n" for line in ntriples.splitlines() if line.strip()]
    (output / "all.nq.gz").write_bytes(gzip.compress("".join(lines).encode("utf-8"), mtime=0))
    datasets = {f"graph-{n}": {"graph": g, "triples": len(t.splitlines())} for n, (g, t) in enumerate(graphs.items())}
    (output / "build.json").write_text(json.dumps({"base": base, "datasets": datasets}), encoding="utf-8")
    return output


@functools.cache
def protocol_output() -> Path:
    """The W3C protocol tests' data: data1.nt .. data3.nt in graphs named like the tests say."""
    return tiny_output({f"{KASEI}data{n}.rdf": (PROTOCOL / f"data{n}.nt").read_text() for n in (1, 2, 3)})


class LiveServer:
    """create_app(output, **settings) served by waitress on a free loopback port, in a thread."""

    def __init__(self, output: Path, **settings):
        from zaisei.serving.web import create_app

        # The server first (its port is the app's public URL), then the app it serves.
        self.server = waitress.create_server(lambda environ, respond: self.app(environ, respond), host="127.0.0.1",
                                             port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.app = create_app(output, **{"public_url": self.url, **settings})
        self.endpoint = self.url + "/sparql"
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # the socket closed under asyncore on shutdown
            pass

    @property
    def engine(self):
        return self.app.extensions["zaisei.sparql"]

    def close(self) -> None:
        """Stop serving: the listener, every open connection (else ResourceWarnings), the workers."""
        self.server.task_dispatcher.shutdown()
        for channel in list(self.server._map.values()):
            channel.close()
        self.thread.join(timeout=5)
        self.engine.close()

    def request(self, method: str = "GET", path: str = "/sparql", body: bytes | None = None,
                headers: dict | None = None, timeout: float = 30) -> tuple[int, object, bytes]:
        """(status, headers (case-insensitive), body) of one HTTP request; HTTP errors are answers too."""
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:  # an HTTPError holds the connection open until closed
                return error.code, error.headers, error.read()


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                connection, _ = self.socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            connection.close()

    def close(self) -> int:
        """Stop listening (after a grace period for late connections); the count."""
        time.sleep(0.3)
        self._stop = True
        self.thread.join(timeout=2)
        self.socket.close()
        return self.connections


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tiny_output_is_a_publication():
    from zaisei.serving.published import Publication

    publication = Publication(protocol_output())
    assert publication.graphs == [f"{KASEI}data{n}.rdf" for n in (1, 2, 3)]
    assert len(publication.store) == 3


def test_listener_counts_connections():
    listener = Listener()
    socket.create_connection(("127.0.0.1", listener.port)).close()
    assert listener.close() == 1
