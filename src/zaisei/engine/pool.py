"""The local engine: worker processes over the published store, killed on timeout.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so
every query runs in a worker process, and a query past its deadline is stopped
by killing that process. The processes come from a zygote:

    server ──control socket──> zygote (`python -m zaisei.engine`): loads the
                               store once, stays single-threaded, fork()s workers
    server threads <──two pipes each──────> worker: read job, run, serialise, write bytes

Forking from the zygote rather than from the server matters: the server is
multi-threaded (waitress), and fork() there can deadlock the child. Workers
share the loaded store copy-on-write, so a replacement is ready in milliseconds.
A worker's pidfd travels with its pipes (SCM_RIGHTS), so killing it can never
hit a recycled PID. Workers die with the zygote (PR_SET_PDEATHSIG) and the
zygote dies with the server (EOF on its control socket).

The job and the answer cross the pipes as one pickle out and raw bytes back,
serialised in the worker: the server only copies bytes.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import pickle
import queue
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..query import QueryError, load_output
from ..store import GraphStore
from . import KINDS, Answer, EngineFailure, Job, Overloaded, QueryTimeout, execute

_LIBC = ctypes.CDLL(None)
_REPLY = struct.Struct("!HBQQ")  # status, kind, rows, body length
_JOB = struct.Struct("!I")


# --- framing: two pipes per worker (a pipe round trip measured ~9 us, a socketpair's ~75 us) ---


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _send_answer(fd: int, status: int, answer: Answer | None, message: str = "") -> None:
    body = answer.body if answer else message.encode("utf-8")
    kind = KINDS.index(answer.kind) if answer else 0
    _write_all(fd, _REPLY.pack(status, kind, answer.rows if answer else 0, len(body)) + body)


# --- the worker and the zygote (separate processes) ----------------------------------


def _worker(jobs: int, answers: int, store, zygote: int, memory_mb: int) -> None:
    """Answer jobs forever; exit when the server closes the pipe or the zygote dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the zygote
    if os.getppid() != zygote:
        os._exit(0)
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
            (size,) = _JOB.unpack(_read_exactly(jobs, _JOB.size, None))
            job = pickle.loads(_read_exactly(jobs, size, None))
        except (EOFError, OSError):
            os._exit(0)
        try:
            _send_answer(answers, 200, execute(store, job))
        except QueryError as exc:
            _send_answer(answers, exc.status, None, str(exc))
        except MemoryError:
            _send_answer(answers, 503, None, f"the query needed more than {memory_mb} MiB of memory and was stopped")
            os._exit(1)
        except Exception as exc:  # noqa: BLE001 - the worker must answer, whatever happened
            _send_answer(answers, 500, None, f"the query failed: {type(exc).__name__}: {exc}")


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    try:
        fcntl.fcntl(write, 1031, 1 << 20)  # F_SETPIPE_SZ: 1 MiB answers in one write
    except OSError:
        pass
    return read, write


def zygote(output: str, control_fd: int, memory_mb: int, snapshot: str = "") -> None:
    """Load the store once, then fork a worker per byte received on the control socket.

    With a snapshot (a persisted store), workers open it themselves and the zygote is
    ready at once; b"L" then loads the in-memory copy (faster aggregates), answered by
    b"M" when later workers share it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the server's to handle
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed workers
    control = socket.socket(fileno=control_fd)
    if snapshot and not Path(snapshot).is_dir():
        control.sendall(f"E{snapshot}: the persisted store is missing".encode())
        os._exit(2)
    store = Path(snapshot) if snapshot else _load(output, control)
    control.sendall(b"R")
    while command := control.recv(1):
        if command == b"L":
            store = _load(output, control)
            control.sendall(b"M")
            continue
        (job_read, job_write), (answer_read, answer_write) = _pipe(), _pipe()
        pid = os.fork()
        if pid == 0:
            for fd in (control.detach(), job_write, answer_read):
                os.close(fd)
            _worker(job_read, answer_write, store, os.getppid(), memory_mb)
        pidfd = os.pidfd_open(pid)
        socket.send_fds(control, [struct.pack("!q", pid)], [job_write, answer_read, pidfd])
        for fd in (job_read, job_write, answer_read, answer_write, pidfd):
            os.close(fd)
    os._exit(0)


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


@dataclass
class _Worker:
    jobs: int       # write end of the job pipe
    answers: int    # read end of the answer pipe (non-blocking)
    pid: int
    pidfd: int
    generation: int = 0   # which store it serves: workers of an older one are replaced

    def kill(self) -> None:
        """SIGKILL through the pidfd, once (close() and a timeout may race here)."""
        pidfd, self.pidfd = self.pidfd, -1
        if pidfd < 0:
            return
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for fd in (self.jobs, self.answers, pidfd):
            os.close(fd)


class LocalEngine:
    """A pool of worker processes over the publication, started on first use.

    Workers share an in-memory copy of the store; given a snapshot (a persisted store),
    they answer from it at once, and with in_memory they move to the in-memory copy
    once the zygote has loaded it in the background."""

    def __init__(self, output: Path, size: int = 2, timeout: float = 10.0, memory_mb: int = 1024,
                 snapshot: Path | None = None, in_memory: bool = True):
        self.output, self.size, self.timeout, self.memory_mb = Path(output), size, timeout, memory_mb
        self.snapshot, self.in_memory = snapshot, in_memory
        self.generation = 0
        self.loaded = snapshot is None   # the in-memory copy is what the workers serve
        self.memory_failure: str | None = None   # why the in-memory copy could not be loaded
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._wanted: queue.Queue[bool] = queue.Queue()
        self._lock = threading.Lock()
        self._zygote: tuple[subprocess.Popen, socket.socket] | None = None
        self._closed = False
        self.failure: str | None = None   # why the zygote could not start, while it cannot
        self.killed: list[int] = []   # PIDs of workers stopped by a timeout (for tests and logs)
        self._workers: dict[int, _Worker] = {}

    def run(self, job: Job) -> Answer:
        """Answer a job in a worker; QueryTimeout, Overloaded or EngineFailure when that fails."""
        worker = self._acquire()
        deadline = time.monotonic() + self.timeout
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(worker.jobs, _JOB.pack(len(payload)) + payload)
            status, kind, rows, size = _REPLY.unpack(_read_exactly(worker.answers, _REPLY.size, deadline))
            body = _read_exactly(worker.answers, size, deadline)
        except TimeoutError:
            self._replace(worker, killed=True)
            raise QueryTimeout(f"the query was stopped after {self.timeout:g} s, this endpoint's limit",
                               status=504) from None
        except (EOFError, OSError):
            self._replace(worker)
            raise EngineFailure(f"the query's worker died (a query may use at most {self.memory_mb} MiB)",
                                status=503) from None
        self._release(worker)
        if status != 200:
            raise QueryError(body.decode("utf-8", "replace"), status=status)
        fmt = job.rdf_format if KINDS[kind] == "triples" else job.results_format
        return Answer(KINDS[kind], fmt, body, rows)

    def _acquire(self) -> _Worker:
        """An idle worker, waiting up to the timeout; None in the queue flags a broken engine."""
        self._start()
        while True:
            try:
                worker = self._idle.get(timeout=self.timeout)
            except queue.Empty:
                raise Overloaded("every query worker is busy; try again shortly", status=503) from None
            if worker is not None:
                return worker
            if self.failure:
                self._idle.put(None)
                raise EngineFailure(f"the query engine cannot start: {self.failure}", status=503)

    def _release(self, worker: _Worker) -> None:
        if worker.generation == self.generation:
            self._idle.put(worker)
        else:
            self._replace(worker)

    def pids(self) -> list[int]:
        return sorted(self._workers)

    def _replace(self, worker: _Worker, killed: bool = False) -> None:
        worker.kill()
        self._workers.pop(worker.pid, None)
        if killed:
            self.killed.append(worker.pid)
        self._wanted.put(True)

    def _start(self) -> None:
        with self._lock:
            if self._zygote is not None or self._closed:
                return
            self._zygote = self._spawn_zygote()
            for _ in range(self.size):
                self._wanted.put(True)
            threading.Thread(target=self._supervise, name="zaisei-engine", daemon=True).start()

    def _spawn_zygote(self) -> tuple[subprocess.Popen, socket.socket]:
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "zaisei.engine", str(self.output), str(theirs.fileno()), str(self.memory_mb),
                   str(self.snapshot or "")]
        # A worker past its memory limit aborts in Rust: one line in the log, not a backtrace.
        environment = {**os.environ, "RUST_BACKTRACE": "0"}
        process = subprocess.Popen(command, pass_fds=[theirs.fileno()], start_new_session=True, env=environment)
        theirs.close()
        return process, ours

    def _supervise(self) -> None:
        """Keep the pool full: one fork per wanted worker; restart the zygote if it died."""
        ready = False
        while not self._closed:
            self._wanted.get()
            if self._closed:
                return
            try:
                if not ready:
                    self._await_zygote()
                    ready = True
                worker = self._fork()
            except (OSError, EOFError) as exc:
                ready, self.failure = False, str(exc) or type(exc).__name__
                self._idle.put(None)
                self._wanted.put(True)
                time.sleep(1)   # do not spin when the store cannot load
                self._restart_zygote()
                continue
            self.failure = None
            self._workers[worker.pid] = worker
            self._idle.put(worker)
            if not self.loaded and self.in_memory and len(self._workers) >= self.size:
                ready = self._load_in_memory()

    def _await_zygote(self, expected: bytes = b"R") -> None:
        message = self._zygote[1].recv(65536)
        if message != expected:
            raise EOFError(message[1:].decode("utf-8", "replace") or "the zygote stopped while loading the store")

    def _load_in_memory(self) -> bool:
        """Have the zygote load the in-memory copy, then replace the idle workers with
        workers sharing it (busy ones are replaced when they finish); False if it died."""
        self._zygote[1].sendall(b"L")
        try:
            self._await_zygote(b"M")
        except (OSError, EOFError) as exc:
            # e.g. not enough memory for the copy: keep answering from the persisted store
            self.in_memory, self.memory_failure = False, str(exc) or type(exc).__name__
            self._restart_zygote()
            return False
        self.loaded, self.generation = True, self.generation + 1
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            self._idle.put(worker) if worker is None else self._release(worker)
        return True

    def _restart_zygote(self) -> None:
        with self._lock:
            if self._closed:
                return
            process, control = self._zygote
            control.close()
            process.kill()
            process.wait()
            self.loaded = self.snapshot is None
            self._zygote = self._spawn_zygote()

    def _fork(self) -> _Worker:
        control = self._zygote[1]
        control.sendall(b"F")
        message, fds, _, _ = socket.recv_fds(control, 8, 3)
        if len(message) != 8 or len(fds) != 3:
            raise EOFError("the zygote stopped")
        (pid,) = struct.unpack("!q", message)
        os.set_blocking(fds[1], False)   # reads wait in select() with the query's deadline
        return _Worker(fds[0], fds[1], pid, fds[2], self.generation)

    def close(self) -> None:
        """Stop the workers and the zygote (they also die with this process: EOF, then PDEATHSIG)."""
        with self._lock:
            self._closed = True
            self._wanted.put(False)
            for worker in list(self._workers.values()):
                worker.kill()
            self._workers.clear()
            if self._zygote is not None:
                process, control = self._zygote
                control.close()
                process.wait(timeout=5)


