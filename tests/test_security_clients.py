"""Slow and idle clients cannot take the server down (issue 13, items 2, 3, 8, 9), on raw sockets.

`zaisei serve` with short timeouts: slow readers that pipeline big downloads and never read,
silent connections, a slowloris trickling its headers, more connections than the limit. A new
client's page must still load in under 3 s, and each kind of bad connection must be cut within
its timeout. Also: absolute URLs never come from the Host header, and a body announced too large
is refused before it is read.
"""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from support.figures import report
from support.servers import Served, get, raw

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

HEADER_TIMEOUT, SEND_TIMEOUT = 2, 3


@pytest.fixture(scope="module")
def timeout_server(published):
    served = Served(published, "--header-timeout", str(HEADER_TIMEOUT), "--send-timeout", str(SEND_TIMEOUT),
                    "--public-url", "https://data.example.org")
    yield served
    served.stop()


def _page_seconds(port: int) -> float:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/", headers={"Accept": "text/html"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    return time.monotonic() - started


def _slow_reader(port: int, path: str = "/download/all.trig", pipelined: int = 80) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() * pipelined)
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server ends the connection (EOF or reset) within `within` seconds."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if sock.recv(1 << 20) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_slow_readers_and_idle_connections_do_not_lock_others_out(timeout_server):
    """The issue's attack: 8 slow readers pipelining 80 downloads each, 98 idle connections."""
    readers = [_slow_reader(timeout_server.port) for _ in range(8)]
    idle = [socket.create_connection(("127.0.0.1", timeout_server.port)) for _ in range(98)]
    time.sleep(1)
    seconds = [_page_seconds(timeout_server.port) for _ in range(5)]
    report("slow-clients", {"slow_readers": 8, "pipelined_each": 80, "idle_connections": 98,
                            "page_seconds": [round(s, 3) for s in seconds]})
    # Answered without waiting for any bad connection to be cut (that takes SEND_TIMEOUT or more);
    # how fast is benchmarks/security.py's figure.
    assert max(seconds) < SEND_TIMEOUT, seconds
    for sock in readers + idle:
        sock.close()


def test_a_reader_that_stops_reading_is_dropped_after_the_send_timeout(timeout_server):
    reader = _slow_reader(timeout_server.port, pipelined=20)
    time.sleep(SEND_TIMEOUT + 3)   # TCP_USER_TIMEOUT: unacknowledged data for SEND_TIMEOUT s
    received, ended = 0, False
    reader.settimeout(1)
    try:
        while chunk := reader.recv(1 << 20):
            received += len(chunk)
    except (ConnectionResetError, TimeoutError) as exc:
        ended = isinstance(exc, ConnectionResetError)
    else:
        ended = True
    reader.close()
    assert ended, "the connection should have been dropped"
    assert received < 20 * 300_000, received   # far less than the 20 answers it asked for


def test_silent_connections_and_slowloris_are_closed_after_the_header_timeout(timeout_server):
    silent = socket.create_connection(("127.0.0.1", timeout_server.port))
    loris = socket.create_connection(("127.0.0.1", timeout_server.port))
    request, started = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 100, time.monotonic()
    for index in range(HEADER_TIMEOUT * 2 + 2):
        try:
            loris.send(request[index:index + 1])
        except OSError:
            break
        time.sleep(1)
    try:
        assert _closed_by_server(loris, 2), "a client trickling its headers must be cut at the header timeout"
        assert _closed_by_server(silent, max(0.5, HEADER_TIMEOUT + 3 - (time.monotonic() - started)))
        assert _page_seconds(timeout_server.port) < SEND_TIMEOUT
    finally:
        loris.close()
        silent.close()


def test_past_the_connection_limit_the_longest_idle_are_closed(published):
    served = Served(published, "--max-connections", "20", "--header-timeout", "60")
    try:
        kept = []
        for _ in range(40):   # keep-alive connections that made one request each
            connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            kept.append(connection)
        time.sleep(3)
        closed = sum(_closed_by_server(c.sock, 0.3) for c in kept)
        for connection in kept:
            connection.close()
        assert closed >= 20, closed
        assert _page_seconds(served.port) < 10
    finally:
        served.stop()


def test_absolute_urls_come_from_the_public_url_not_the_host_header(timeout_server):
    evil = "Host: evil.example"
    sitemap = raw(timeout_server.port, get("/sitemap.xml").replace(b"Host: 127.0.0.1", evil.encode()))
    assert b"<loc>https://data.example.org/" in sitemap.body and b"evil.example" not in sitemap.body
    robots = raw(timeout_server.port, get("/robots.txt").replace(b"Host: 127.0.0.1", evil.encode()))
    assert b"Sitemap: https://data.example.org/sitemap.xml" in robots.body
    description = raw(timeout_server.port, get("/sparql", "Accept: text/turtle").replace(b"Host: 127.0.0.1", evil.encode()))
    assert b"<https://data.example.org/sparql>" in description.body and b"evil" not in description.body
    redirect = raw(timeout_server.port, get("/download").replace(b"Host: 127.0.0.1", evil.encode()))
    assert redirect.status == 308 and redirect.headers["location"] == "/download/"


def test_a_body_announced_too_large_is_refused_before_it_is_read(timeout_server):
    """50 MiB announced, 1 KiB sent: the 413 comes without waiting for the rest (which never comes)."""
    sock = socket.create_connection(("127.0.0.1", timeout_server.port), timeout=5)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                 b"Content-Length: 52428800\r\n\r\n" + b"x" * 1024)
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
