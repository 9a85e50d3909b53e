"""The local engine: worker processes over the published store, killed on timeout.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so
every query runs in a worker process, and a query past its deadline is stopped
by killing that process. The processes come from a zygote:

    server ──control socket──> zygote (`python -m zaisei.serving.engine`): off the network,
                               loads the store once, stays single-threaded, fork()s workers
           <──reports socket── every worker death, with its wait status
    server threads <──two pipes each──────> worker: read job, run, serialise, write bytes

Forking from the zygote rather than from the server matters: the server is
multi-threaded, and fork() there can deadlock the child. Workers share the loaded
store copy-on-write, so a replacement is ready in milliseconds. A worker's pidfd
travels with its pipes (SCM_RIGHTS), so killing it can never hit a recycled PID.
Workers die with the zygote (PR_SET_PDEATHSIG) and the zygote dies with the
server (EOF on its control socket).

A query's deadline runs from its arrival: time spent waiting for a worker counts.
Workers go to waiting queries fairly (engine/admission.py); a dead worker is never
handed out (its pidfd is checked first), every death is logged with its cause,
and the pool is kept at its size, also after the zygote itself is restarted.

Copy-on-write sharing is partial: pyoxigraph's in-memory store writes reference
counts as a query walks it, so a worker that ran a large aggregate holds private
copies of the pages it touched (measured: +110 MB at 1M triples). With a persisted
store (`--store`) workers read through the page cache instead, sharing all of it.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from zaisei.serving.query import QueryError
from zaisei.serving.engine.jobs import KINDS, Answer, EngineFailure, Job, Overloaded, QueryTimeout, encoded, execute, too_large
from zaisei.serving.engine.admission import Admission, FairQueue
from zaisei.serving.engine.cheap import CHEAP_ROWS, cheap_pattern, probe
from zaisei.serving.engine.worker import DEATH, EXIT_MEMORY, EXITING, GZIPPED, JOB, REPLY, read_exactly, write_all

LOG = logging.getLogger("zaisei.serving.engine")


@dataclass(eq=False)
class _Worker:
    jobs: int       # write end of the job pipe
    answers: int    # read end of the answer pipe (non-blocking)
    pid: int
    pidfd: int
    generation: int = 0   # which store it serves: workers of an older one are replaced

    def alive(self) -> bool:
        """False once the process has exited (its pidfd turns readable)."""
        return self.pidfd >= 0 and not select.select([self.pidfd], [], [], 0)[0]

    def kill(self, signal_it: bool = True) -> None:
        """SIGKILL through the pidfd, once (close() and a timeout may race here); without
        signal_it, only close our ends (a worker that exits by itself)."""
        pidfd, self.pidfd = self.pidfd, -1
        if pidfd < 0:
            return
        try:
            if signal_it:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for fd in (self.jobs, self.answers, pidfd):
            os.close(fd)


def cause_of_death(status: int, memory_mb: int) -> tuple[str, str]:
    """(category, words) for a worker's wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else f"signal {number}"
        if number == signal.SIGABRT:
            return "crash", "it crashed (SIGABRT: the engine aborted, usually a memory allocation past the limit)"
        if number == signal.SIGSEGV:
            return "crash", "it crashed (SIGSEGV: usually a stack overflow in the engine)"
        return "signal", f"it was killed ({name})"
    code = os.WEXITSTATUS(status)
    if code == EXIT_MEMORY:
        return "memory", f"the query needed more than the {memory_mb} MiB a query may use"
    return "exit", f"it exited with status {code}"


class LocalEngine:
    """A pool of worker processes over the publication, started on first use.

    Workers share an in-memory copy of the store; given a snapshot (a persisted store),
    they answer from it at once, and with in_memory they move to the in-memory copy
    once the zygote has loaded it in the background."""

    def __init__(self, output: Path, size: int = 2, timeout: float = 10.0, memory_mb: int = 1024,
                 snapshot: Path | None = None, in_memory: bool = True, per_client: int | None = None,
                 queue_size: int = 128, store=None):
        self.output, self.size, self.timeout, self.memory_mb = Path(output), size, timeout, memory_mb
        self.snapshot, self.in_memory = snapshot, in_memory
        self.store = store   # the server's own copy: cheap queries are answered on it (engine/cheap.py)
        self.in_process = 0  # queries answered that way
        self.admission = Admission(max(1, queue_size // 2), queue_size)
        self.generation = 0
        self.loaded = snapshot is None   # the in-memory copy is what the workers serve
        self.memory_failure: str | None = None   # why the in-memory copy could not be loaded
        self.failure: str | None = None   # why the zygote could not start, while it cannot
        self.sandbox: str | None = None   # how the workers are kept off the network (zygote's report)
        self.killed: list[int] = []   # PIDs of workers stopped by a timeout (tests, logs), the last 4,096
        self.deaths: Counter[str] = Counter()   # worker deaths by category
        self._queue = FairQueue(per_client or max(1, size // 2))
        self._events: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self._reports = threading.Condition()
        self._causes: dict[int, str] = {}
        self._zygote: tuple[subprocess.Popen, socket.socket, socket.socket] | None = None
        self._closed = False
        self._ready = False   # the current zygote has said it is ready
        self._workers: dict[int, _Worker] = {}

    def run(self, job: Job) -> Answer:
        """Answer a job in a worker before its deadline (default: now + timeout); QueryTimeout,
        Overloaded, TooManyQueries or EngineFailure when that fails."""
        answer = self._cheaply(job)
        if answer is not None:
            return answer
        deadline, client = job.deadline or time.monotonic() + self.timeout, job.client
        with self.admission.admit(client):
            worker = self._acquire(client, deadline)
            try:
                return self._ask(worker, job, deadline)
            finally:
                self._queue.done(client)

    def _cheaply(self, job: Job) -> Answer | None:
        """The answer of a query too small to need a worker (engine/cheap.py), or None."""
        if self.store is None or not job.union or job.default_graphs is not None or job.named_graphs is not None:
            return None
        found = cheap_pattern(job.query)
        if found is None or not (found.streams and job.max_results <= CHEAP_ROWS or self._few(found, job)):
            return None
        self.in_process += 1
        return encoded(execute(self.store, job), job)

    def _few(self, found, job: Job) -> bool:
        """True when the pattern has at most CHEAP_ROWS matches (a bounded count)."""
        try:
            rows = list(self.store.query(probe(found.prologue, found.pattern), use_default_graph_as_union=True,
                                         base_iri=job.base))
            return int(rows[0]["n"].value) <= CHEAP_ROWS
        except Exception:   # noqa: BLE001 - any doubt: the worker answers (and reports errors)
            return False

    def _acquire(self, client: str, deadline: float) -> _Worker:
        self._start()
        if self.failure:
            raise EngineFailure(f"the query engine cannot start: {self.failure}", status=503)
        try:
            return self._queue.get(client, deadline, self._usable, lambda: self.failure is not None)
        except TimeoutError:
            if self.failure:
                raise EngineFailure(f"the query engine cannot start: {self.failure}", status=503) from None
            if self._queue.in_use(client) >= self._queue.cap:
                raise Overloaded(f"this client's other queries held its share of the workers "
                                 f"({self._queue.cap}) for the {self.timeout:g} s a query may take", status=503) from None
            raise Overloaded(f"every query worker stayed busy for the {self.timeout:g} s a query may take; "
                             f"try again shortly", status=503) from None

    def _usable(self, worker: _Worker) -> bool:
        """A dead worker (it may die idle) is dropped and replaced, never handed out."""
        if worker.alive() and worker.generation == self.generation:
            return True
        self._retire(worker)
        return False

    def _ask(self, worker: _Worker, job: Job, deadline: float) -> Answer:
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            write_all(worker.jobs, JOB.pack(len(payload)) + payload)
            status, kind, flags, rows, size = REPLY.unpack(read_exactly(worker.answers, REPLY.size, deadline))
            if status == 200 and size > job.max_bytes:   # the worker checks this; the server does not trust it
                self._retire(worker)
                raise too_large(size, job.max_bytes)
            body = read_exactly(worker.answers, size, deadline)
        except TimeoutError:
            self.killed.append(worker.pid)
            del self.killed[:-4096]
            self._retire(worker)
            raise QueryTimeout(f"the query was stopped after {self.timeout:g} s, this endpoint's limit",
                               status=504) from None
        except (EOFError, OSError):
            self._retire(worker)
            raise EngineFailure(f"the query's worker died: {self.cause(worker.pid)}", status=503) from None
        self._retire(worker, signal_it=False) if flags & EXITING else self._release(worker)
        if status != 200:
            raise QueryError(body.decode("utf-8", "replace"), status=status)
        fmt = job.rdf_format if KINDS[kind] == "triples" else job.results_format
        return Answer(KINDS[kind], fmt, body, rows, "gzip" if flags & GZIPPED else None)

    def cause(self, pid: int, wait: float = 1.0) -> str:
        """Why a worker died, from the zygote's report (waiting up to `wait` s for it)."""
        deadline = time.monotonic() + wait
        with self._reports:
            while pid not in self._causes and time.monotonic() < deadline and self._zygote is not None:
                self._reports.wait(deadline - time.monotonic())
            return self._causes.get(pid, f"it stopped (a query may use at most {self.memory_mb} MiB)")

    def _release(self, worker: _Worker) -> None:
        if worker.generation == self.generation and worker.alive():
            self._queue.put(worker)
        else:
            self._retire(worker)

    def _retire(self, worker: _Worker, signal_it: bool = True) -> None:
        """Kill and forget a worker (dead, timed out or outdated), and have it replaced."""
        self._queue.remove(worker)
        worker.kill(signal_it)
        if self._workers.pop(worker.pid, None) is not None:
            self._events.put("fork")

    def pids(self) -> list[int]:
        return sorted(self._workers)

    def _start(self) -> None:
        with self._lock:
            if self._zygote is not None or self._closed:
                return
            self._zygote = self._spawn_zygote()
            self._events.put("fork")
            threading.Thread(target=self._supervise, name="zaisei-engine", daemon=True).start()

    def _spawn_zygote(self):
        ours, theirs = socket.socketpair()
        reports, their_reports = socket.socketpair()
        fds = [theirs.fileno(), their_reports.fileno()]
        command = [sys.executable, "-m", "zaisei.serving.engine", str(self.output), *map(str, fds), str(self.memory_mb),
                   str(self.snapshot or "")]
        # A worker past its memory limit aborts in Rust: one line in the log, not a backtrace.
        environment = {**os.environ, "RUST_BACKTRACE": "0"}
        process = subprocess.Popen(command, pass_fds=fds, start_new_session=True, env=environment)
        theirs.close()
        their_reports.close()
        threading.Thread(target=self._read_reports, args=(reports,), name="zaisei-engine-reports",
                         daemon=True).start()
        return process, ours, reports

    def _read_reports(self, reports: socket.socket) -> None:
        """Record every worker death the zygote reports; EOF means the zygote itself is gone."""
        while message := _recv_exactly(reports, DEATH.size):
            pid, status = DEATH.unpack(message)
            self._record_death(pid, status)
        if not self._closed and self._zygote is not None and self._zygote[2] is reports:
            self._events.put("zygote")

    def _record_death(self, pid: int, status: int) -> None:
        if pid in self.killed:
            category, words = "timeout", f"it was stopped at the {self.timeout:g} s time limit"
        else:
            category, words = cause_of_death(status, self.memory_mb)
        self.deaths[category] += 1
        if category != "exit" or os.WEXITSTATUS(status) != 0:
            LOG.warning("query worker %d died: %s", pid, words)
        with self._reports:
            self._causes[pid] = words
            if len(self._causes) > 4096:
                self._causes.pop(next(iter(self._causes)))
            self._reports.notify_all()
        worker = self._workers.get(pid)
        if worker is not None and self._queue.remove(worker):   # died idle: replace it now
            self._retire(worker)

    def _supervise(self) -> None:
        """Keep the pool at its size: fork what is missing; restart the zygote if it died."""
        while not self._closed:
            event = self._events.get()
            if self._closed:
                return
            try:
                if event == "zygote":
                    raise EOFError("the engine's zygote stopped")
                if not self._ready:
                    self._await_ready()
                    self._ready = True
                self._fill()
            except (OSError, EOFError) as exc:
                self._zygote_failed(str(exc) or type(exc).__name__)

    def _fill(self) -> None:
        while len(self._workers) < self.size and not self._closed:
            worker = self._fork()
            self._workers[worker.pid] = worker
            self._queue.put(worker)
        self.failure = None
        if not self.loaded and self.in_memory:
            self._load_in_memory()

    def _zygote_failed(self, reason: str, fatal: bool = True) -> None:
        """Every worker dies with the zygote: forget them, start a new zygote, refill. Not
        fatal: requests keep waiting for the new workers instead of failing meanwhile."""
        LOG.warning("the query engine's zygote failed (%s); restarting it", reason)
        if fatal:
            self.failure = reason
            self._queue.wake()
        for worker in list(self._workers.values()):
            self._queue.remove(worker)
            worker.kill()
        self._workers.clear()
        self._ready = False
        if fatal:
            time.sleep(1)   # do not spin when the store cannot load
        self._restart_zygote()
        self._events.put("fork")

    def _await_ready(self, expected: bytes = b"R") -> bytes:
        message = self._zygote[1].recv(65536)
        if not message.startswith(expected):
            raise EOFError(message[1:].decode("utf-8", "replace") or "the zygote stopped while loading the store")
        if expected == b"R":
            self._note_sandbox(message[1:].decode("utf-8", "replace"))
        return message

    def _note_sandbox(self, sandbox: str) -> None:
        if sandbox != self.sandbox and sandbox.startswith("none"):
            LOG.error("QUERY WORKERS CAN OPEN NETWORK CONNECTIONS: no sandbox could be applied (%s); only "
                      "the query check keeps SERVICE out", sandbox)
        self.sandbox = sandbox

    def _load_in_memory(self) -> None:
        """Have the zygote load the in-memory copy, then replace the idle workers with
        workers sharing it (busy ones are replaced when they finish)."""
        self._zygote[1].sendall(b"L")
        try:
            self._await_ready(b"M")
        except (OSError, EOFError) as exc:
            # e.g. not enough memory for the copy: keep answering from the persisted store
            self.in_memory, self.memory_failure = False, str(exc) or type(exc).__name__
            self._zygote_failed(f"loading the in-memory copy failed: {self.memory_failure}", fatal=False)
            return
        self.loaded, self.generation = True, self.generation + 1
        for worker in self._queue.drain():
            self._retire(worker)

    def _restart_zygote(self) -> None:
        with self._lock:
            if self._closed:
                return
            process, control, reports = self._zygote
            control.close()
            reports.close()
            process.kill()
            process.wait()
            self.loaded = self.snapshot is None or not self.in_memory
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

    def status(self) -> dict:
        """The pool's state for /healthz."""
        zygote = self._zygote[0].pid if self._zygote is not None else None
        return {"workers": len(self._workers), "size": self.size, "sandbox": self.sandbox, "in_process": self.in_process,
                "zygote": zygote, "failure": self.failure,
                "deaths": dict(self.deaths), "waiting": self._queue.waiting(), **self.admission.load()}

    def close(self) -> None:
        """Stop the workers and the zygote (they also die with this process: EOF, then PDEATHSIG)."""
        with self._lock:
            self._closed = True
            self._events.put("close")
            for worker in list(self._workers.values()):
                worker.kill()
            self._workers.clear()
            if self._zygote is not None:
                process, control, reports = self._zygote
                control.close()
                reports.close()
                process.wait(timeout=5)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except OSError:
            return b""
        if not chunk:
            return b""
        data += chunk
    return data
