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
serialised in the worker: the server only copies bytes. The processes' side of
all this is engine/worker.py.

Copy-on-write sharing is partial: pyoxigraph's in-memory store writes reference
counts as a query walks it, so a worker that ran a large aggregate holds private
copies of the pages it touched (measured: +110 MB at 1M triples). With a persisted
store (`--store`) workers read through the page cache instead, sharing all of it.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..query import QueryError
from . import KINDS, Answer, EngineFailure, Job, Overloaded, QueryTimeout
from .worker import JOB, REPLY, read_exactly, write_all


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
            write_all(worker.jobs, JOB.pack(len(payload)) + payload)
            status, kind, rows, size = REPLY.unpack(read_exactly(worker.answers, REPLY.size, deadline))
            body = read_exactly(worker.answers, size, deadline)
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


