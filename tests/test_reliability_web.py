"""Hostile web input over real HTTP (issue 8, item 4), against `zaisei serve` on loopback.

Requests go out as raw bytes on a socket, so nothing normalises `..`, decodes `%2e` or refuses
a NUL on the way. The server runs under a Python audit hook (support/audit.py)
that logs every file it opens: after a warm-up, nothing outside output/ (and the static
folder) may be opened, and the canary files placed next to output/ never are.
"""

from __future__ import annotations

import secrets
import shutil
import urllib.parse
from pathlib import Path

import pytest

import zaisei.serving.web
from support.servers import Served, get, raw
from zaisei.serving.web import SECURITY_HEADERS

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

STATIC = Path(zaisei.serving.web.__file__).resolve().parent / "static"
CANARY = "canary-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def site(published, tmp_path_factory) -> Path:
    """A copy of the build, with canary files beside it (and a symlink from inside it) to steal."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(published, root / "output")
    for name in ("canary-secret.txt", "document.txt", "catalog.ttl", "secret/document.txt", "secret/style.css"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{CANARY} root:x:0:0\n", encoding="utf-8")
    (root / "output" / "minato-2021" / "planted.txt").symlink_to(root / "canary-secret.txt")
    return root


@pytest.fixture(scope="module")
def audited_server(site):
    served = Served(site / "output", audit=True)
    yield served
    served.stop()


def _warm_up(audited_server: Served) -> int:
    """Every route once (templates, lazy imports, the engine); the audit log's size after."""
    for path in ("/", "/datasets/minato-2021", "/doc/minato-2021/budget", "/doc/minato-2021/budget.ttl",
                 "/source/minato-2021", "/source/minato-2021/document.txt", "/download/",
                 "/download/minato-2021/figures.csv", "/def/", "/def/amount", "/catalog.ttl", "/.well-known/void",
                 "/static/style.css", "/sparql?query=ASK%7B%7D", "/sparql", "/no/such/page", "/sitemap.xml"):
        assert raw(audited_server.port, get(path)).status is not None
    return audited_server.audit.size()


def _payloads(site: Path) -> list[str]:
    """Ways to name a file outside output/: relative, encoded, double-encoded, absolute, with NUL."""
    targets = ["../canary-secret.txt", "../secret/document.txt", "../../../../../../../../etc/passwd"]
    encodings = [
        lambda p: p, lambda p: p.replace("../", "%2e%2e%2f"), lambda p: p.replace("../", "%2e%2e/"),
        lambda p: p.replace("../", "..%2f"), lambda p: p.replace("../", "%2E%2E%2F"),
        lambda p: p.replace("../", "%252e%252e%252f"), lambda p: p.replace("../", "..%252f"),
        lambda p: p.replace("../", "%25252e%25252e%25252f"), lambda p: p.replace("../", "%c0%ae%c0%ae/"),
        lambda p: p.replace("../", "..%c0%af"), lambda p: p.replace("../", "..\\"), lambda p: p.replace("../", "..%5c"),
        lambda p: p.replace("../", "....//"), lambda p: p.replace("../", ".%2e/"), lambda p: p.replace("../", "./../"),
        lambda p: p + "%00", lambda p: p + "%00.ttl", lambda p: p + "\x00.ttl", lambda p: p.replace("../", "..;/"),
        lambda p: p.replace("../", "%uff0e%uff0e/"), lambda p: p.replace("../", "\uff0e\uff0e/"),
    ]
    found = [encode(target) for target in targets for encode in encodings]
    absolute = str(site / "canary-secret.txt")
    found += [absolute, absolute.lstrip("/"), urllib.parse.quote(absolute, safe=""), "file://" + absolute,
              "%2f" + urllib.parse.quote(absolute.lstrip("/")), "..", "%2e%2e", "%252e%252e", "...", "minato-2021/planted.txt",
              "planted.txt", "/etc/passwd", "%2fetc%2fpasswd", "C:\\Windows\\win.ini", "\\\\host\\share"]
    return found


ROUTES = ["/download/{}", "/download/minato-2021/{}", "/source/{}", "/source/{}/document.txt", "/def/{}",
          "/static/{}", "/static/yasgui/{}", "/catalog.{}", "/doc/{}", "/id/{}", "/datasets/{}", "/.well-known/{}",
          "/{}", "/sparql/{}"]


def _request_path(template: str, payload: str) -> str:
    path = template.format(payload)
    return path.encode("utf-8").decode("latin-1")   # raw UTF-8 bytes on the wire


def _printable_ascii(path: str) -> bool:
    """False for a request-target with raw bytes HTTP does not allow there (waitress answers 400)."""
    return all(32 < ord(c) < 127 for c in path)


def test_path_traversal_never_reads_outside_output(audited_server, site):
    """Every file route × every way to spell a path out: 404, the canary never answered, and the
    audit log shows no file opened outside output/ (and static/) at all."""
    mark = _warm_up(audited_server)
    problems, requests = [], 0
    for template in ROUTES:
        for payload in _payloads(site):
            path = _request_path(template, payload)
            answer = raw(audited_server.port, get(path))
            requests += 1
            if answer.status in (301, 302, 303, 307, 308):   # merged slashes, /id -> /doc: follow once
                location = urllib.parse.urlsplit(answer.headers["location"])
                assert location.hostname in (None, "127.0.0.1"), (path, answer.headers)   # we sent Host: 127.0.0.1
                answer = raw(audited_server.port, get((location.path or "/") + ("?" + location.query if location.query else "")))
            if CANARY.encode() in answer.raw or b"root:x:0:0" in answer.raw or b"[boot loader]" in answer.raw:
                problems.append(f"{path!r}: LEAKED")
            elif answer.status != 404 and not (answer.status == 400 and not _printable_ascii(path)):
                problems.append(f"{path!r}: {answer.status}")
    assert problems == [], problems
    assert requests > 800
    allowed = (str(site / "output") + "/", str(STATIC) + "/")
    outside = [p for p in audited_server.audit.files(mark) if not p.startswith(allowed)]
    assert outside == [], f"files opened outside output/ while under attack: {sorted(set(outside))}"
    stolen = [p for p in audited_server.audit.files() if Path(p).name in ("canary-secret.txt", "passwd")
              or p.startswith(str(site / "secret"))
              or p in (str(site / "document.txt"), str(site / "catalog.ttl"))]
    assert stolen == []


def test_a_symlink_out_of_output_is_not_followed(audited_server, site):
    for path in ("/download/minato-2021/planted.txt", "/source/minato-2021/../minato-2021/planted.txt"):
        answer = raw(audited_server.port, get(path))
        assert answer.status == 404 and CANARY.encode() not in answer.raw


def test_redirects_stay_on_this_site(audited_server):
    """No open redirect: every Location is a path here (or this host), never another site."""
    for path in ("//evil.example/", "/id//evil.example/x", "/download//evil.example", "/def/%2F%2Fevil.example",
                 "/def/amount", "/id/minato-2021/budget?next=//evil.example", "/id/minato-2021/budget?x=%0d%0aSet-Cookie:a",
                 "/download/%2F%2Fevil.example%2F", "/def/%0d%0aLocation:%20http://evil.example/", "/def/amount%0d%0aX:1",
                 "/doc/..//evil.example", "/static//evil.example"):
        answer = raw(audited_server.port, get(path))
        assert answer.status is not None and answer.status < 500, (path, answer.status)
        location = answer.headers.get("location", "")
        parts = urllib.parse.urlsplit(location)
        assert parts.hostname in (None, "127.0.0.1") and not location.startswith("//"), (path, location)
        assert "set-cookie" not in answer.headers and "x" not in answer.headers


HTML_PAGES = ["/", "/?lang=en", "/datasets/minato-2021", "/doc/minato-2021/priority/pillar-2",
              "/doc/minato-2021/budget.html", "/source/minato-2021", "/download/", "/def/", "/sparql",
              "/no/such/page", "/doc/minato-2021/nothing", "/datasets/nothing", "/doc/minato-2021/budget?page=x"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_answers_carry_the_security_headers(audited_server, path):
    answer = raw(audited_server.port, get(path, "Accept: text/html"))
    assert answer.headers["content-type"].startswith("text/html"), (path, answer.status)
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "'unsafe-eval'" not in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == SECURITY_HEADERS["Referrer-Policy"]


def test_error_pages_for_methods_and_sizes_are_html_with_headers_too(audited_server):
    for request in (get("/", "Accept: text/html", method="DELETE"),
                    get("/", "Accept: text/html", method="POST", body=b"x" * 100_000)):
        answer = raw(audited_server.port, request)
        assert answer.status in (405, 413) and answer.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/doc/minato-2021/budget.ttl", "/download/minato-2021/figures.csv",
                                  "/sparql?query=ASK%7B%7D", "/catalog.ttl", "/healthz", "/static/style.css"])
def test_other_answers_are_nosniff(audited_server, path):
    answer = raw(audited_server.port, get(path))
    assert answer.status == 200 and answer.headers["x-content-type-options"] == "nosniff"


LIMIT = 20000 * 4 + 4096   # MAX_CONTENT_LENGTH: max_query_length * 4 + 4096


@pytest.mark.parametrize("path, content_type", [
    ("/sparql", "application/sparql-query"), ("/sparql", "application/x-www-form-urlencoded"),
    ("/sparql", "text/turtle"), ("/", "application/octet-stream"), ("/doc/minato-2021/budget", "text/turtle"),
    ("/download/minato-2021/figures.csv", "text/csv"), ("/no/such/route", "application/ld+json"),
])
@pytest.mark.parametrize("size", [LIMIT + 1, 8 * 2**20])
def test_large_bodies_are_413_on_every_route(audited_server, path, content_type, size):
    for method in ("POST", "PUT"):
        answer = raw(audited_server.port, get(path, f"Content-Type: {content_type}", method=method, body=b"q" * size))
        assert answer.status == 413, (method, path, size, answer.status)


def test_chunked_bodies_are_413_too(audited_server):
    """Without Content-Length: waitress reassembles the chunks and tells the size; 413 as well."""
    chunk = b"q" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
    for path in ("/sparql", "/", "/doc/minato-2021/budget"):
        request = get(path, "Content-Type: application/sparql-query", "Transfer-Encoding: chunked",
                      method="POST") + body
        assert raw(audited_server.port, request).status == 413, path


def test_long_request_lines_and_headers_are_refused_not_failed(audited_server):
    """Long but legal requests are answered; past the server's limits, refused (414, 431) or cut:
    granian (hyper) takes request-targets up to 64 KiB (the 100,000-character path is 414),
    100 header fields (2,000 are 431) and somewhat over 500 KB of headers (1 MB is refused)."""
    for request, largest in ((get("/doc/" + "a" * 16_000), 404), (get("/doc/" + "a" * 100_000), 414),
                             (get("/doc/minato-2021/budget?q=" + "%ff" * 20_000), 200),
                             (get("/", *[f"X-H{n}: {n}" for n in range(90)]), 200),
                             (get("/", *[f"X-H{n}: {n}" for n in range(2000)]), 431),
                             (get("/", "X-Long: " + "a" * 300_000), 200), (get("/", "X-Long: " + "a" * 1_000_000), 431),
                             (get("/" + "a" * 300_000), 414)):
        answer = raw(audited_server.port, request)
        assert answer.status == largest or (largest in (414, 431) and answer.status in (None, 400, 414, 431)), \
            (request[:60], answer.status)
    assert raw(audited_server.port, get("/healthz")).status == 200


# Malformed headers, query strings and bytes: (request, statuses allowed). Malformed *optional*
# headers (Accept, If-None-Match, If-Modified-Since, Range, Accept-Language) are ignored, as HTTP
# allows, and the full answer is sent (200); input a route cannot use is a 4xx; nothing is a 5xx.
MALFORMED = [
    *[(get(path, header), {200, 206, 304, 406, 416}) for path in
      ("/doc/minato-2021/budget", "/download/minato-2021/figures.csv", "/catalog", "/def/", "/", "/sparql",
       "/sparql?query=ASK%7B%7D")
      for header in ("Accept: \xff\xfe/\x80", "Accept: text/turtle;q=abc", "Accept: ;;;,,,;q=", "Accept: */*;q=NaN",
                     "Accept: text/turtle;q=inf", "Accept: " + "a/b," * 3000, "Accept: text/*;level=\"",
                     'If-None-Match: "\xff', "If-None-Match: ,,,,W/", "If-None-Match: " + '"x",' * 3000,
                     "If-None-Match: *", "If-Modified-Since: yesterday", "If-Modified-Since: Mon, 99 Foo 99999",
                     "If-Unmodified-Since: \x80", "Range: bytes=abc", "Range: bytes=5-1", "Range: bytes=-0",
                     "Range: bytes=" + "0-1," * 2000, "Range: bytes=99999999999999999999999-", "Range: lines=1-2",
                     "If-Range: \xff", "Accept-Language: \xff\xfe", "Accept-Language: ;q=;;,,*",
                     "Accept-Encoding: gzip;q=x, \xff", "Accept-Charset: \x80", "Content-Type: \xff/\xfe",
                     "Cookie: \xff=\xfe; ;;", "Host: \xff\xfe", "Host: <script>", "Host: a b",
                     "X-Forwarded-Host: evil.example")],
    *[(get(path), {400, 404}) for path in
      ("/doc/minato-2021/budget?page=%ff", "/doc/minato-2021/budget?page=-1", "/doc/minato-2021/budget?page=1e9",
       "/doc/minato-2021/budget?page=99999999999", "/sparql?query=%ff%fe", "/sparql?query=%ED%A0%80",
       "/sparql?query=", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", "/doc/%ff%fe", "/id/%c3%28", "/download/%ff",
       "/source/%ff", "/datasets/%ff", "/def/%ff", "/catalog.%ff", "/doc/\xff\xfe", "/download/\x80",
       "/static/%ff", "/doc/minato-2021/budget%00", "/id/%00")],
    *[(get(path), {200, 400}) for path in
      ("/?%%%=&&&==;", "/?lang=%00", "/?lang=%ff", "/sparql?format=%ff", "/doc/minato-2021/budget?lang=\xff",
       "/?" + "a=1&" * 5000, "/doc/minato-2021/budget?page=0&page=1")],
]


def test_malformed_headers_queries_and_bytes_are_never_a_server_error(audited_server):
    problems = []
    for request, allowed in MALFORMED:
        answer = raw(audited_server.port, request)
        if answer.status not in allowed:
            problems.append(f"{request[:100]!r}: {answer.status} {answer.body[:80]!r}")
    assert problems == []
    assert "Traceback" not in audited_server.output_text() and "unexpected error" not in audited_server.output_text()


def test_bad_request_lines_get_400_from_the_server_not_a_crash(audited_server):
    for request in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET  HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET / HTTP/1.1\r\nBad Header: y\r\n\r\n", b"GET / HTTP/1.1\r\nX: \x00\x01\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                    b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                    b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
                    b"GET / HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n", b"GET / HTTP/1.1\n\n",
                    b"GET /download/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"):
        answer = raw(audited_server.port, request)
        assert answer.status is None or answer.status < 500, (request[:60], answer.status)
    # A transfer coding the server does not implement is 501, as RFC 9112 section 6.1 says; no failure.
    request = b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    assert raw(audited_server.port, request).status == 501
    assert raw(audited_server.port, get("/healthz")).status == 200
