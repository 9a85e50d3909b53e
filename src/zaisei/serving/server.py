"""`zaisei serve`: the app behind granian, a Rust HTTP server, hardened against slow clients.

Why granian: a Python front (waitress) gave one thread to each connection's
request; eight clients that pipelined downloads and never read held all eight,
and ~98 idle connections filled its connection limit (issue 13). In granian the
connections live in Rust (tokio): an idle or slow connection costs memory, not
a thread; HTTP/1 pipelining is answered one request at a time per connection,
with a bounded read buffer. Measured on the same toy app: 13,200 req/s against
waitress's 1,850 (docs/benchmarks.md has the project's own figures).

What granian does not do, this module adds:
- the listening socket is ours (so a busy port is a clear error before anything
  starts), with TCP_USER_TIMEOUT: an answer a client leaves unread for
  send_timeout seconds drops the connection (the kernel enforces it, also on a
  zero window);
- a watchdog thread in each server process closes connections that sent nothing
  for header_timeout seconds (granian's header timeout starts at the first byte),
  and the longest-idle ones past max_connections.
"""

from __future__ import annotations

import json
import logging
import os
import ctypes
import resource
import signal
import socket
import stat
import struct
import threading
import time
from pathlib import Path

from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server.mp import MPServer

from zaisei.serving.published import Publication

LOG = logging.getLogger("zaisei.server")
ENVIRONMENT = "ZAISEI_SERVE_SETTINGS"   # the settings, for the server processes (also under spawn)
_PRELOADED: dict[str, Publication] = {}  # the publication loaded before the fork, shared copy-on-write


class ServeError(Exception):
    """The server cannot start (a busy port, a bad setting); the message says why."""


def listen(host: str, port: int, send_timeout: float, backlog: int = 1024) -> socket.socket:
    """The listening socket, with the send timeout every accepted connection inherits."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Unacknowledged data (a reader that stopped reading: zero window included) for this long drops
    # the connection; accepted sockets inherit the option from the listener.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(send_timeout * 1000))
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class _Server(MPServer):
    """granian's multi-process server on a socket made by listen() instead of its own (granian
    2.8's own hook for a shared socket, used as on the platforms where it always shares one)."""

    listener: socket.socket

    def _init_shared_socket(self):
        self._ssp, self._shd = None, SocketHolder(self.listener.fileno(), False, self.backlog)
        self._sfd, self._sso = self.listener.fileno(), self.listener


def serve(settings: dict, started=lambda url: None) -> None:
    """Listen, verify and load the publication, then serve until SIGINT/SIGTERM; started(url)
    once listening. ServeError or PublicationError before anything is served."""
    listener = listen(settings["host"], settings["port"], settings["send_timeout"])
    publication = Publication(Path(settings["output"]), settings["store"] and Path(settings["store"]))
    if settings["sparql_endpoint"]:
        _same_version(settings["sparql_endpoint"], publication)
    started(settings["public_url"] or f"http://{settings['host']}:{settings['port']}")
    if publication.snapshot is None:   # a RocksDB handle must not cross fork(): workers reopen those
        _PRELOADED[str(publication.output)] = publication
    front = shared_out(settings)
    os.environ[ENVIRONMENT] = json.dumps(front)
    # glibc gives each thread that allocates its own arena (up to 8 per core); with a hundred
    # request threads they fragment (measured under load: +21 MiB in 20 s; with two, flat after 8 s).
    ctypes.CDLL(None).mallopt(-8, 2)   # M_ARENA_MAX
    server = _Server("zaisei.serving.server:worker_app", address=settings["host"], port=settings["port"],
                     interface=Interfaces.WSGI, workers=max(1, settings["front_processes"]),
                     # queries wait for a worker on threads of their own (engine/admission.py)
                     blocking_threads=front["threads"] + front["sparql_queue"],
                     http=HTTPModes.http1, backlog=1024, factory=True, log_enabled=False,
                     http1_settings=HTTP1Settings(header_read_timeout=int(settings["header_timeout"] * 1000)),
                     respawn_failed_workers=True, workers_kill_timeout=10)
    server.listener = listener
    server.serve()


def _same_version(endpoint: str, publication: Publication) -> None:
    """Refuse to start in remote mode unless the engine holds this output's version (PublicationError),
    or when it does not answer (ServeError): before any process is started."""
    from zaisei.serving.engine import EngineFailure, RemoteEngine

    try:
        RemoteEngine(endpoint, publication.graphs).check_version(publication)
    except EngineFailure as exc:
        raise ServeError(str(exc)) from None


def shared_out(settings: dict) -> dict:
    """Each front process's settings: the query workers and the queue shared out among them, so
    N processes start no more workers than one would (at least one each)."""
    fronts = max(1, settings["front_processes"])
    if fronts == 1:
        return settings
    workers = settings["sparql_workers"] or min(4, max(2, os.cpu_count() or 2))
    return {**settings, "sparql_workers": max(1, workers // fronts),
            "sparql_queue": max(2, settings["sparql_queue"] // fronts)}


def worker_app():
    """The WSGI app of one server process (granian calls this in the process)."""
    from zaisei.serving.web import create_app

    settings = json.loads(os.environ[ENVIRONMENT])
    _die_with_parent()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _raise_open_files(settings["max_connections"])
    publication = _PRELOADED.get(str(Path(settings["output"]).resolve()))
    app = create_app(publication=publication, **settings)
    Watchdog(settings["port"], settings["header_timeout"], settings["max_connections"]).start()
    return app


def _die_with_parent() -> None:
    """A server process goes with granian's main process, even if that one is SIGKILLed (its
    engine follows: EOF on the zygote's control socket, then PR_SET_PDEATHSIG)."""
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _raise_open_files(connections: int) -> None:
    """Room for max_connections sockets and the files and pipes beside them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256 if hard == resource.RLIM_INFINITY else min(hard, connections + 256)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


# --- the watchdog: silent connections and the connection limit ---------------------------------

TCP_INFO_SIZE = 232
_LAST_DATA_RECV, _BYTES_RECEIVED = struct.Struct("=I"), struct.Struct("=Q")   # at offsets 52 and 128


class Watchdog(threading.Thread):
    """Closes this process's client connections that sent nothing for `silent` seconds, and the
    longest-idle ones when more than `limit` are open. Reads TCP_INFO of each accepted socket."""

    def __init__(self, port: int, silent: float, limit: int, interval: float = 1.0):
        super().__init__(name="zaisei-watchdog", daemon=True)
        self.port, self.silent_ms, self.limit, self.interval = port, int(silent * 1000), limit, interval
        self.closed = 0

    def run(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.sweep()
            except Exception:   # noqa: BLE001 - the watchdog must outlive any one odd socket
                LOG.exception("connection watchdog")

    def sweep(self) -> int:
        """One pass; the number of connections closed."""
        connections = sorted(self._connections(), key=lambda c: c[1], reverse=True)   # most idle first
        doomed = [fd for fd, idle, received in connections if received == 0 and idle > self.silent_ms]
        excess = len(connections) - len(doomed) - self.limit
        if excess > 0:
            doomed += [fd for fd, _, _ in connections if fd not in doomed][:excess]
        for fd in doomed:
            _shut(fd)
        self.closed += len(doomed)
        return len(doomed)

    def _connections(self) -> list[tuple[int, int, int]]:
        """(fd, ms since data was last received, bytes received) of each client connection.

        The descriptors are probed with fstat() up to the open-files limit (no listing of
        /proc: the server reads no file beyond output/ while it serves)."""
        found = []
        for fd in range(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0]):
            info = _tcp_info(fd, self.port)
            if info is not None:
                found.append((fd, *info))
        return found


def _tcp_info(fd: int, port: int) -> tuple[int, int] | None:
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return None
        with socket.socket(fileno=os.dup(fd)) as sock:
            if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
                return None
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) or sock.getsockname()[1] != port:
                return None
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)
    except OSError:
        return None
    if len(info) < 136:
        return None
    return _LAST_DATA_RECV.unpack_from(info, 52)[0], _BYTES_RECEIVED.unpack_from(info, 128)[0]


def _shut(fd: int) -> None:
    """Shut a connection down under the server (it sees the end and drops it)."""
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
