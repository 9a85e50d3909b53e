"""The engine's processes: the zygote (`python -m zaisei.serving.engine`) and its forked workers.

The zygote takes itself off the network (engine/sandbox.py: its workers inherit
that), loads the store once and stays single-threaded, so fork() is safe; each
worker reads jobs from one pipe and writes answers to another until the server
closes its pipe, or dies with the zygote (PR_SET_PDEATHSIG). The zygote reaps
its workers and reports each death with its wait status on a second socket, so
the server can say why a worker died. The server side is engine/pool.py.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import pickle
import resource
import select
import signal
import socket
import struct
import time
from pathlib import Path

from zaisei.serving.query import QueryError, load_output
from zaisei.rdf.store import GraphStore
from zaisei.serving.engine.jobs import KINDS, Answer, encoded, execute
from zaisei.serving.engine.sandbox import confine

_LIBC = ctypes.CDLL(None)
REPLY = struct.Struct("!HBBQQ")  # status, kind, flags, rows, body length
JOB = struct.Struct("!I")
DEATH = struct.Struct("!qi")     # pid, wait status (os.waitpid's)
EXITING, GZIPPED = 1, 2          # reply flags: the worker exits after this answer; the body is gzip
EXIT_MEMORY = 3                  # a worker's exit code after a MemoryError


# --- framing: two pipes per worker (a pipe round trip measured ~9 us, a socketpair's ~75 us) ---


def read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    """size bytes from fd; TimeoutError past the deadline (the server's fds are non-blocking)."""
    chunks = []
    while size:
        try:
            chunk = os.read(fd, min(size, 1 << 20))
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError from None
            continue
        if not chunk:
            raise EOFError("the worker closed its pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _send_answer(fd: int, status: int, answer: Answer | None, message: str = "", flags: int = 0) -> None:
    body = answer.body if answer else message.encode("utf-8")
    kind = KINDS.index(answer.kind) if answer else 0
    if answer and answer.encoding == "gzip":
        flags |= GZIPPED
    write_all(fd, REPLY.pack(status, kind, flags, answer.rows if answer else 0, len(body)) + body)


# --- the worker and the zygote (separate processes) ----------------------------------


def _worker(jobs: int, answers: int, store, zygote: int, memory_mb: int) -> None:
    """Answer jobs forever; exit when the server closes the pipe or the zygote dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the zygote
    if os.getppid() != zygote:
        os._exit(0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if isinstance(store, Path):
        # Opened here, after the fork: a RocksDB handle must not cross a fork.
        store = GraphStore(store, read_only=True)
    if memory_mb:
        # The address space so far is shared with the zygote; a query may add memory_mb.
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (current + memory_mb * 2**20, resource.RLIM_INFINITY))
    while True:
        try:
            (size,) = JOB.unpack(read_exactly(jobs, JOB.size, None))
            job = pickle.loads(read_exactly(jobs, size, None))
        except (EOFError, OSError):
            os._exit(0)
        _answer(job, store, answers, memory_mb)


def _answer(job, store, answers: int, memory_mb: int) -> None:
    try:
        _send_answer(answers, 200, encoded(execute(store, job), job))
    except QueryError as exc:
        _send_answer(answers, exc.status, None, str(exc))
    except MemoryError:
        _send_answer(answers, 503, None, f"the query needed more than {memory_mb} MiB of memory and was stopped",
                     flags=EXITING)
        os._exit(EXIT_MEMORY)
    except Exception as exc:  # noqa: BLE001 - the worker must answer, whatever happened
        _send_answer(answers, 500, None, f"the query failed: {type(exc).__name__}: {exc}")


def pipe() -> tuple[int, int]:
    read, write = os.pipe()
    try:
        fcntl.fcntl(write, 1031, 1 << 20)  # F_SETPIPE_SZ: 1 MiB answers in one write
    except OSError:
        pass
    return read, write


def zygote(output: str, control_fd: int, reports_fd: int, memory_mb: int, snapshot: str = "") -> None:
    """Load the store once, then fork a worker per b"F" received on the control socket.

    Answers b"R" + how the process is kept off the network when ready, b"E" + why not on failure.
    With a snapshot (a persisted store), workers open it themselves and the zygote is
    ready at once; b"L" then loads the in-memory copy (faster aggregates), answered by
    b"M" when later workers share it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the server's to handle
    control, reports = socket.socket(fileno=control_fd), socket.socket(fileno=reports_fd)
    reports.setblocking(False)
    signal.signal(signal.SIGCHLD, lambda *_: _reap(reports))
    sandbox = confine()
    if snapshot and not Path(snapshot).is_dir():
        control.sendall(f"E{snapshot}: the persisted store is missing".encode())
        os._exit(2)
    store = Path(snapshot) if snapshot else _load(output, control)
    control.sendall(b"R" + sandbox.encode())
    while command := control.recv(1):
        if command == b"L":
            store = _load(output, control)
            control.sendall(b"M")
            continue
        _fork(control, store, reports, memory_mb)
    os._exit(0)


def _fork(control: socket.socket, store, reports: socket.socket, memory_mb: int) -> None:
    (job_read, job_write), (answer_read, answer_write) = pipe(), pipe()
    pid = os.fork()
    if pid == 0:
        for fd in (control.detach(), reports.detach(), job_write, answer_read):
            os.close(fd)
        _worker(job_read, answer_write, store, os.getppid(), memory_mb)
    pidfd = os.pidfd_open(pid)
    socket.send_fds(control, [struct.pack("!q", pid)], [job_write, answer_read, pidfd])
    for fd in (job_read, job_write, answer_read, answer_write, pidfd):
        os.close(fd)


def _reap(reports: socket.socket) -> None:
    """SIGCHLD: collect every dead worker and report (pid, status); never block the zygote."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        try:
            reports.send(DEATH.pack(pid, status))
        except OSError:
            pass   # the server is gone or not reading: the death is still reaped


def _load(output: str, control: socket.socket):
    """The publication's store in memory; on failure, say why on the control socket and exit."""
    try:
        store = load_output(Path(output))[0]
    except QueryError as exc:
        control.sendall(f"E{exc}".encode())
        os._exit(2)
    # The decompressed dump is freed by now, but malloc keeps its pages; give them back
    # before forking (measured: 16 MB less resident at 1M triples).
    _LIBC.malloc_trim(0)
    return store
