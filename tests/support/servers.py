"""Servers on loopback: `zaisei serve` in a subprocess (Served), the app in a thread (LiveServer),
a listener counting connections (Listener), raw HTTP bytes (raw, get)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import waitress

from benchmarks.measure import tree   # pid and its descendants, from /proc
from support.audit import audited_environment
from support.paths import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """`zaisei serve --output OUTPUT EXTRA...` in a subprocess on 127.0.0.1."""

    def __init__(self, output: Path, *extra: str, port: int | None = None, audit: bool = False):
        self.output, self.port = Path(output), port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log, self.text = tempfile.TemporaryFile(), ""   # noqa: SIM115 - open while the server runs
        environment, self.audit = audited_environment() if audit else ({**os.environ}, None)
        command = [sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output), "--port", str(self.port),
                   *extra]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=environment)
        self.pid = self.process.pid
        self._await()

    def _await(self) -> None:
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                    answer.read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.output_text())
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("server did not start: " + self.output_text())

    def output_text(self) -> str:
        """What the server printed (stdout and stderr), also after stop()."""
        if not self.log.closed:
            self.log.seek(0)
            self.text = self.log.read().decode(errors="replace")
        return self.text

    def tree(self) -> list[int]:
        return tree(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.output_text()
        self.log.close()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.output_text()
        self.log.close()


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


@dataclass
class RawAnswer:
    status: int | None        # None: the server closed the connection without an answer
    headers: dict[str, str]
    body: bytes
    raw: bytes


def raw(port: int, data: bytes, timeout: float = 10.0) -> RawAnswer:
    """Send bytes as they are, read the first answer (to its end, or until the server closes).

    The write side stays open: the server (hyper, in granian) takes a client that shuts its
    write side for one that went away, and answers nothing."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        try:
            connection.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            pass   # answered (413) and closed before the whole body was sent: the answer may be there
        try:
            while not _complete(received) and (chunk := connection.recv(1 << 16)):
                received += chunk
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/\d\.\d (\d{3})", lines[0]) if lines else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return RawAnswer(int(match[1]) if match else None, headers, body, received)


def _complete(received: bytes) -> bool:
    """True when received holds a whole answer: headers and a body of its Content-Length (or chunks)."""
    head, found, body = received.partition(b"\r\n\r\n")
    if not found:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if re.match(rb"HTTP/\d\.\d (1\d\d|204|304)", head) or (length and len(body) >= int(length[1])):
        return True
    return bool(re.search(rb"(?im)^transfer-encoding:\s*chunked", head)) and body.endswith(b"0\r\n\r\n")


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0] or b"0", 16)
        if not length:
            break
        out, body = out + rest[:length], rest[length + 2:]
    return out


def get(path: str, *headers: str, method: str = "GET", body: bytes = b"") -> bytes:
    """A raw HTTP/1.1 request (Connection: close); header lines as given, bytes allowed via latin-1."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
